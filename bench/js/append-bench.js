#!/usr/bin/env node
// append-bench.js [TOTAL_MIB] [MAX_SECONDS_PER_CASE] [DIR]
// Append throughput of JS hypercore 8.14.0 to disk (random-access-file in a temporary folder),
// for 4 KiB and 64 KiB blocks, 16 blocks per append call and single-block appends.
// Each case writes TOTAL_MIB (default 256) or stops after MAX_SECONDS_PER_CASE (default 12),
// whichever comes first. Prints one JSON line per case:
//   {impl, block_size, batch, blocks, seconds, mb_per_s}     (MB = 10^6 bytes, like bench/append_bench)
// The JS stack is the one installed for the interop tests: $HM_JS_P7 or ../../tests/interop/js-p7.
'use strict'
const fs = require('fs'); const os = require('os'); const path = require('path'); const crypto = require('crypto')

const stack = process.env.HM_JS_P7 || path.join(__dirname, '..', '..', 'tests', 'interop', 'js-p7')
let hypercore
try {
  hypercore = require(path.join(stack, 'node_modules', 'hypercore'))
} catch (err) {
  console.error(`append-bench.js: no hypercore in ${stack}/node_modules (run npm ci there): ${err.message}`)
  process.exit(77)
}
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

const totalBytes = Number(process.argv[2] || 256) * 1024 * 1024
const maxSeconds = Number(process.argv[3] || 12)
const root = process.argv[4] || os.tmpdir()

async function runCase (blockSize, batch) {
  const dir = fs.mkdtempSync(path.join(root, 'hm-js-append-'))
  try {
    const feed = hypercore(dir)
    await call(feed, 'ready')
    const data = crypto.randomBytes(blockSize * batch)
    const blocks = Array.from({ length: batch }, (_, i) => data.subarray(i * blockSize, (i + 1) * blockSize))
    const arg = batch === 1 ? blocks[0] : blocks
    const start = process.hrtime.bigint()
    let written = 0; let seconds = 0
    while (written < totalBytes && seconds < maxSeconds) {
      await call(feed, 'append', arg)
      written += blockSize * batch
      seconds = Number(process.hrtime.bigint() - start) / 1e9
    }
    await call(feed, 'close')
    seconds = Number(process.hrtime.bigint() - start) / 1e9
    return {
      impl: 'js-hypercore-' + require(path.join(stack, 'node_modules', 'hypercore', 'package.json')).version,
      block_size: blockSize,
      batch,
      blocks: written / blockSize,
      seconds: Number(seconds.toFixed(3)),
      mb_per_s: Number((written / 1e6 / seconds).toFixed(1))
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function main () {
  for (const [blockSize, batch] of [[4096, 16], [65536, 16], [4096, 1], [65536, 1]]) {
    process.stdout.write(JSON.stringify(await runCase(blockSize, batch)) + '\n')
  }
}

main().catch((err) => { console.error('append-bench.js:', err.message); process.exit(1) })
