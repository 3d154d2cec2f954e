#!/usr/bin/env node
// big-file-serve.js DIR [--size BYTES] [--seed SEED] [--path /big] [--chunk BYTES] [--listen PORT]
// Creates the default drive of the corestore folder DIR (which must be new) holding one big file
// PATH (default /big) of SIZE bytes (default 1 GiB), for tests/fs/fs_big_file.sh, then serves it.
// The bytes are the AES-128-CTR keystream of key sha256(SEED)[0..16), counter block 0 (the same
// as drive-lib.js fileBytes(SEED, SIZE), made CHUNK bytes at a time): a test can make them again
// without this script, e.g. `openssl enc -aes-128-ctr -K KEY -iv 0 -nosalt </dev/zero`, and any
// 16-byte-aligned slice with -iv set to its offset / 16.
// The file is written with createWriteStream in CHUNK-byte writes (default 65536, what piping an
// fs.createReadStream gives), so the content core holds one block per write (hyperdrive 10.21
// splits only writes above 512 KiB), as a JS user's imported file does.
// Prints one JSON line { key, path, size, blocks, sha256 (of the bytes written), seconds,
// hyperdrive (its version) }, then (--listen PORT, 0: any free port) serves the drive over TCP
// on 127.0.0.1:PORT (drive-lib.js serveDrive), prints "listening on 127.0.0.1:PORT" and a line
// per connection event, until SIGTERM.
// Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8) (run with NODE_PATH at one stack).
'use strict'
const crypto = require('crypto')
const hyperdrive = require('hyperdrive')

const { call, arg, serveDrive } = require('./drive-lib')

async function main () {
  const dir = process.argv[2]
  if (!dir || dir.startsWith('--')) {
    console.error('usage: big-file-serve.js DIR [--size BYTES] [--seed SEED] [--path /big] [--chunk BYTES] [--listen PORT]')
    process.exit(2)
  }
  const size = Number(arg('--size', String(1024 * 1024 * 1024)))
  const seed = String(arg('--seed', 'big'))
  const path = String(arg('--path', '/big'))
  const chunk = Number(arg('--chunk', '65536'))
  if (!(size >= 0) || !(chunk > 0)) throw new Error('--size and --chunk must be numbers (--chunk above 0)')

  const drive = hyperdrive(dir)
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  if (drive.version > 1) throw new Error(dir + ' already holds a drive of version ' + drive.version)

  const started = process.hrtime.bigint()
  const key = crypto.createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const hash = crypto.createHash('sha256')
  const zeros = Buffer.alloc(chunk)
  await new Promise((resolve, reject) => {
    const ws = drive.createWriteStream(path)
    ws.on('error', reject)
    ws.on('finish', resolve)
    let left = size
    function more () {
      while (left > 0) {
        const n = Math.min(chunk, left)
        const data = cipher.update(n === chunk ? zeros : zeros.subarray(0, n))
        hash.update(data)
        left -= n
        if (!ws.write(data)) { ws.once('drain', more); return }
      }
      ws.end()
    }
    more()
  })
  const st = await call(drive, 'stat', path)
  if (st.size !== size) throw new Error(`${path}: stat says ${st.size} bytes after writing ${size}`)
  console.log(JSON.stringify({
    key: drive.key.toString('hex'),
    path,
    size: st.size,
    blocks: st.blocks,
    sha256: hash.digest('hex'),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    hyperdrive: require('hyperdrive/package.json').version
  }))

  const listen = arg('--listen', null)
  if (listen === null) {
    await call(drive, 'close')
    return
  }
  serveDrive(drive, Number(listen))
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('big-file-serve.js:', err.stack || err.message); process.exit(1) })
