#!/usr/bin/env node
// The fixture server of bench/remote_run.sh: opens the drive tests/interop/js/make-big-drive.js
// wrote into the corestore folder DIR (closed), appends /big (MIB MiB of random bytes, written
// with createWriteStream in 1 MiB chunks: 512 KiB blocks, as a mount writes them; 0: none), prints
// one JSON line { key, content_key, version, big_bytes, big_seconds, hyperdrive }, then serves the
// drive on 127.0.0.1 (drive-lib.js serveDrive: "listening on 127.0.0.1:PORT") until SIGTERM.
// usage: NODE_PATH=tests/interop/js-p8/node_modules node bench/js/remote-serve.js DIR MIB
'use strict'
const crypto = require('crypto')
const path = require('path')
const hyperdrive = require('hyperdrive')
const { call, serveDrive } = require(path.join(__dirname, '..', '..', 'tests', 'interop', 'js', 'drive-lib'))

async function main () {
  const [dir, mibArg] = process.argv.slice(2)
  const mib = Number(mibArg || 0)
  if (!dir || !(mib >= 0)) { console.error('usage: remote-serve.js DIR MIB'); process.exit(2) }
  const drive = hyperdrive(dir)
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  const t0 = process.hrtime.bigint()
  if (mib > 0) {
    await new Promise((resolve, reject) => {
      const ws = drive.createWriteStream('/big')
      ws.on('error', reject)
      ws.on('finish', resolve)
      let left = mib
      const more = () => {
        while (left > 0) {
          left--
          if (!ws.write(crypto.randomBytes(1 << 20))) return ws.once('drain', more)
        }
        ws.end()
      }
      more()
    })
  }
  const content = await call(drive, 'getContent')
  console.log(JSON.stringify({
    key: drive.key.toString('hex'),
    content_key: content.key.toString('hex'),
    version: drive.version,
    big_bytes: mib * (1 << 20),
    big_seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    hyperdrive: require('hyperdrive/package.json').version
  }))
  serveDrive(drive, 0)
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('remote-serve.js:', err.stack || err.message); process.exit(1) })
