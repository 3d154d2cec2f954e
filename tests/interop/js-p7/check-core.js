#!/usr/bin/env node
// check-core.js DIR MANIFEST|- [--allow-missing] [--no-append]
// Opens the core in DIR with hypercore 8.14.0 and checks it:
//  - key / length / byteLength against MANIFEST (a JSON file from write-core.js, or "-" for none)
//  - feed.audit() reports 0 invalid blocks
//  - the newest signature verifies against the tree (feed.signature + feed.verify)
//  - every present block reads back with the manifest's sha256; missing blocks are an error
//    unless --allow-missing (sparse replicas)
//  - if the core is writable (secret_key present) and --no-append is not given: appends 3 blocks
//    (one single append, one batch of 2), reads them back, re-opens the folder and checks again.
// Prints one JSON object; exit 0 if everything matched, 1 otherwise.
'use strict'
const fs = require('fs')
const hypercore = require('hypercore')
const { blockBytes, sha256, call } = require('../js/lib')

const args = process.argv.slice(2)
const flags = new Set(args.filter((a) => a.startsWith('--')))
const [dir, manifestPath] = args.filter((a) => !a.startsWith('--'))
if (!dir || !manifestPath) {
  console.error('usage: check-core.js DIR MANIFEST|- [--allow-missing] [--no-append]')
  process.exit(2)
}

const result = { ok: false, errors: [] }
const fail = (msg) => result.errors.push(msg)

async function checkFeed (feed, manifest, expectLength) {
  if (manifest) {
    if (feed.key.toString('hex') !== manifest.key) fail(`key ${feed.key.toString('hex')} != manifest ${manifest.key}`)
    if (feed.length !== expectLength) fail(`length ${feed.length} != expected ${expectLength}`)
  }
  const audit = await call(feed, 'audit')
  if (audit.invalid !== 0) fail(`audit: ${audit.invalid} invalid blocks`)

  let present = 0; const missing = []
  for (let i = 0; i < feed.length; i++) {
    if (!feed.has(i)) { missing.push(i); continue }
    present++
    const data = await call(feed, 'get', i, { wait: false })
    const want = manifest && manifest.blocks[i]
    if (want && sha256(data) !== want) fail(`block ${i}: sha256 ${sha256(data)} != manifest ${want}`)
  }
  if (missing.length && !flags.has('--allow-missing')) fail(`missing blocks: ${missing.slice(0, 20).join(',')}${missing.length > 20 ? ',...' : ''}`)

  let signature = null
  if (feed.length > 0) {
    try {
      const sig = await call(feed, 'signature')
      await call(feed, 'verify', sig.index, sig.signature)
      signature = { index: sig.index, verified: true }
    } catch (err) {
      fail('signature: ' + err.message)
      signature = { verified: false, error: err.message }
    }
  }
  return { audit, present, missing, signature }
}

async function main () {
  const manifest = manifestPath === '-' ? null : JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  const feed = hypercore(dir, { createIfMissing: false, sparse: true })
  await call(feed, 'ready')
  Object.assign(result, {
    key: feed.key.toString('hex'),
    discoveryKey: feed.discoveryKey.toString('hex'),
    length: feed.length,
    byteLength: feed.byteLength,
    writable: feed.writable
  })
  if (manifest && manifest.byteLength !== undefined && !flags.has('--allow-missing') && feed.byteLength !== manifest.byteLength) {
    fail(`byteLength ${feed.byteLength} != manifest ${manifest.byteLength}`)
  }
  Object.assign(result, await checkFeed(feed, manifest, manifest ? manifest.length : feed.length))

  if (feed.writable && !flags.has('--no-append')) {
    // Three new blocks: one single append, then a batch of two (so both signature patterns appear).
    const start = feed.length
    const bufs = [Buffer.from('appended by hypercore 8.14.0\n'), blockBytes('js-append', start + 1, 70000), Buffer.alloc(0)]
    const byteLength0 = feed.byteLength
    await call(feed, 'append', bufs[0])
    await call(feed, 'append', bufs.slice(1))
    result.appended = bufs.map((b, i) => ({ seq: start + i, size: b.length, sha256: sha256(b) }))
    for (let i = 0; i < 3; i++) {
      const data = await call(feed, 'get', start + i, { wait: false })
      if (!data.equals(bufs[i])) fail(`appended block ${start + i} reads back wrong`)
    }
    const added = bufs.reduce((n, b) => n + b.length, 0)
    if (feed.byteLength !== byteLength0 + added) fail(`byteLength after append ${feed.byteLength} != ${byteLength0 + added}`)
    await call(feed, 'close')

    // Re-open from disk and check the whole log again, including the appended blocks.
    const again = hypercore(dir, { createIfMissing: false, sparse: true })
    await call(again, 'ready')
    const m2 = manifest && { ...manifest, blocks: manifest.blocks.concat(result.appended.map((a) => a.sha256)) }
    const r2 = await checkFeed(again, m2, start + 3)
    result.afterAppend = { length: again.length, byteLength: again.byteLength, ...r2 }
    await call(again, 'close')
  } else {
    await call(feed, 'close')
  }
  result.ok = result.errors.length === 0
}

main()
  .catch((err) => fail('exception: ' + err.message))
  .then(() => {
    result.ok = result.errors.length === 0
    process.stdout.write(JSON.stringify(result) + '\n')
    process.exit(result.ok ? 0 : 1)
  })
