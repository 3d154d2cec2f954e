#!/usr/bin/env node
// sparse-core.js SRC_DIR DST_DIR BLOCKS
// Makes DST_DIR a sparse replica (hypercore 8.14.0, sparse: true) of the core in SRC_DIR by
// replicating in-process and downloading only BLOCKS (e.g. "1,5,7-9"), then closes both feeds.
// Prints {key, length, byteLength, downloaded: [...]} as seen by the replica before closing.
'use strict'
const hypercore = require('hypercore')
const { call, parseBlocks } = require('../js/lib')

async function main () {
  const [src, dst, spec] = process.argv.slice(2)
  if (!src || !dst || spec === undefined) {
    console.error('usage: sparse-core.js SRC_DIR DST_DIR BLOCKS')
    process.exit(2)
  }
  const blocks = parseBlocks(spec)
  const a = hypercore(src, { createIfMissing: false })
  await call(a, 'ready')
  const b = hypercore(dst, a.key, { sparse: true })
  await call(b, 'ready')
  for (const i of blocks) if (i >= a.length) throw new Error(`block ${i} >= source length ${a.length}`)

  const sa = a.replicate(true, { live: true })
  const sb = b.replicate(false, { live: true })
  sa.pipe(sb).pipe(sa)

  if (blocks.length) await call(b, 'download', { blocks })
  else await call(b, 'update', { ifAvailable: false, minLength: a.length }) // only the head

  const out = {
    key: b.key.toString('hex'),
    length: b.length,
    byteLength: b.byteLength,
    downloaded: blocks.filter((i) => b.has(i))
  }
  sa.destroy(); sb.destroy()
  await call(b, 'close')
  await call(a, 'close')
  if (out.downloaded.length !== blocks.length) throw new Error('not all blocks downloaded')
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err) => { console.error('sparse-core.js:', err.message); process.exit(1) })
