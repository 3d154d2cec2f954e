#!/usr/bin/env node
// write-core.js DIR [SPEC] [SEED]
// Creates a writable hypercore 8.14.0 core in DIR (random-access-file) and appends blocks
// according to SPEC, then prints a JSON manifest:
//   {key, discoveryKey, length, byteLength, blocks: [sha256 hex], sizes, signed: [index...]}
// SPEC: "rich" (default, 3064 blocks: 0 B .. 3 MiB and ~3000 small ones), "pages" (rich plus 7000
//   more small blocks: 10064 blocks, so the bitfield spans two pages), "small" (9 blocks), or a
//   path to a JSON file holding a list of append calls, each either a number (one block of that
//   size, appended on its own: feed.append(buf)) or a list of numbers (one multi-block append
//   call: feed.append([bufs])).
// Block i's bytes are blockBytes(SEED, i, size) (see lib.js); SEED defaults to "hypermount".
'use strict'
const fs = require('fs')
const hypercore = require('hypercore')
const { blockBytes, sha256, call } = require('../js/lib')

const KiB = 1024; const MiB = 1024 * KiB

function richSpec (pages) {
  const calls = [0, 1, [4 * KiB, 64 * KiB, 1], 1 * MiB, [3 * MiB, 0, 4 * KiB], 64 * KiB]
  const small = (n, k) => Array.from({ length: n }, (_, i) => 1 + ((i * 37 + k) % 300))
  calls.push(small(2000, 0)) // one big batch
  for (let i = 0; i < 50; i++) calls.push(1 + i * 7) // single appends
  for (let i = 0; i < 100; i++) calls.push(small(10, i)) // batches of 10
  // "pages": past 8192 blocks / 16384 tree nodes, the size of one bitfield page
  if (pages) calls.push(small(7000, 3))
  calls.push(3 * MiB)
  calls.push([1, 2, 3])
  return calls
}

const smallSpec = () => [0, 1, [4 * KiB, 64 * KiB, 1], [10, 20, 30], 100]

function loadSpec (spec) {
  if (!spec || spec === 'rich') return richSpec(false)
  if (spec === 'pages') return richSpec(true)
  if (spec === 'small') return smallSpec()
  return JSON.parse(fs.readFileSync(spec, 'utf8'))
}

async function main () {
  const [dir, spec, seed = 'hypermount'] = process.argv.slice(2)
  if (!dir) {
    console.error('usage: write-core.js DIR [rich|pages|small|SPEC.json] [SEED]')
    process.exit(2)
  }
  const calls = loadSpec(spec)
  const feed = hypercore(dir)
  await call(feed, 'ready')
  if (feed.length !== 0) throw new Error(dir + ' already holds a core of length ' + feed.length)

  const blocks = []; const sizes = []; const signed = []
  for (const c of calls) {
    const list = (Array.isArray(c) ? c : [c]).map((size) => {
      const buf = blockBytes(seed, blocks.length, size) // index of this block in the log
      blocks.push(sha256(buf)); sizes.push(size)
      return buf
    })
    await call(feed, 'append', Array.isArray(c) ? list : list[0])
    if (list.length) signed.push(feed.length - 1)
  }
  const manifest = {
    key: feed.key.toString('hex'),
    discoveryKey: feed.discoveryKey.toString('hex'),
    length: feed.length,
    byteLength: feed.byteLength,
    seed,
    blocks,
    sizes,
    signed
  }
  await call(feed, 'close')
  if (manifest.length !== blocks.length) throw new Error('length mismatch after append')
  process.stdout.write(JSON.stringify(manifest) + '\n')
}

main().catch((err) => { console.error('write-core.js:', err.message); process.exit(1) })
