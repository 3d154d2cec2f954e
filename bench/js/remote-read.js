#!/usr/bin/env node
// The JS client of bench/remote_run.sh: JS hyperdrive reading a remote drive, the figure ours is
// set beside. Opens hyperdrive(KEY) on the corestore folder STORE (new: a cold, empty store;
// sparse, the default), connects over TCP to HOST:PORT as initiator (TCP_NODELAY;
// drive.replicate(true, { live: true }) piped both ways), waits until the metadata core has a
// length (the drive's head is known, as when our mount is up; connect_s), then times one CASE:
//   ls PATH     readdir PATH, then lstat of every entry, one after the other (what ls -l does)
//   walk PATH   a recursive walk: readdir, lstat of each entry, descending into folders (find)
//   read PATH   createReadStream of the whole file, bytes counted (a sequential read; MB/s)
//   clone       the whole content core downloaded (content.download of every block; MB/s)
// Prints one JSON line { case, path, seconds, connect_s, entries | files, dirs | bytes, mb_per_s,
// blocks: { metadata, content } (blocks downloaded during the case), hyperdrive }.
// usage: node bench/js/remote-read.js CASE STORE KEY HOST:PORT [PATH] [JS_DIR]
//   JS_DIR: a folder with node_modules/hyperdrive (default tests/interop/js-p8: 10.21.0)
'use strict'
const path = require('path')
const net = require('net')

const [kase, store, key, peer, target, jsArg] = process.argv.slice(2)
const jsDir = path.resolve(jsArg || path.join(__dirname, '..', '..', 'tests', 'interop', 'js-p8'))
const hyperdrive = require(path.join(jsDir, 'node_modules', 'hyperdrive'))
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))
const now = () => Number(process.hrtime.bigint()) / 1e9
const join = (dir, name) => (dir === '/' ? '' : dir) + '/' + name

async function main () {
  const m = /^(.+):(\d+)$/.exec(peer || '')
  if (!['ls', 'walk', 'read', 'clone'].includes(kase) || !store || !/^[0-9a-f]{64}$/.test(key || '') || !m ||
      (kase !== 'clone' && !target)) {
    console.error('usage: remote-read.js ls|walk|read|clone STORE KEY HOST:PORT [PATH] [JS_DIR]')
    process.exit(2)
  }
  const drive = hyperdrive(store, Buffer.from(key, 'hex'))
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  const blocks = { metadata: 0, content: 0 }
  drive.metadata.on('download', () => blocks.metadata++)

  const t0 = now()
  const socket = net.connect(Number(m[2]), m[1])
  socket.setNoDelay(true)
  socket.on('error', (err) => console.error('socket error ' + err.message))
  const stream = drive.replicate(true, { live: true })
  stream.on('error', (err) => console.error('stream error ' + err.message))
  socket.pipe(stream).pipe(socket)
  while (drive.metadata.length < 1) await call(drive.metadata, 'update', { minLength: 1 })
  const out = { case: kase, path: target || null, connect_s: now() - t0 }
  let content = null
  const withContent = async () => {
    content = await call(drive, 'getContent')
    content.on('download', () => blocks.content++)
  }
  if (kase === 'clone') await withContent() // the content core's key is in the metadata header

  blocks.metadata = 0
  const start = now()
  if (kase === 'ls') {
    const names = await call(drive, 'readdir', target)
    out.readdir_s = now() - start
    for (const name of names) await call(drive, 'lstat', join(target, name))
    out.entries = names.length
  } else if (kase === 'walk') {
    out.files = 0
    out.dirs = 1
    const walk = async (dir) => {
      for (const name of await call(drive, 'readdir', dir)) {
        const st = await call(drive, 'lstat', join(dir, name))
        if (st.isDirectory()) {
          out.dirs++
          await walk(join(dir, name))
        } else {
          out.files++
        }
      }
    }
    await walk(target)
  } else if (kase === 'read') {
    await withContent()
    out.bytes = 0
    await new Promise((resolve, reject) => {
      const rs = drive.createReadStream(target)
      rs.on('data', (chunk) => { out.bytes += chunk.length })
      rs.on('error', reject)
      rs.on('end', resolve)
    })
  } else {
    while (content.length < 1) await call(content, 'update', { minLength: 1 })
    await call(content, 'download', { start: 0, end: content.length })
    out.blocks_total = content.length
    out.bytes = content.byteLength
  }
  out.seconds = now() - start
  if (out.bytes !== undefined) out.mb_per_s = out.bytes / 1e6 / out.seconds
  out.blocks = blocks
  out.hyperdrive = require(path.join(jsDir, 'node_modules', 'hyperdrive', 'package.json')).version
  console.log(JSON.stringify(out))
  process.exit(0) // the live replication would keep the process up
}

main().catch((err) => { console.error('remote-read.js:', err.stack || err.message); process.exit(1) })
