#!/usr/bin/env node
// The JS client of bench/sync_run.sh: JS hyperdrive 10 downloading a whole drive into a new
// store (the figure beside `hypermount sync`). Opens hyperdrive(STORE, KEY), connects over TCP
// to HOST:PORT as initiator (TCP_NODELAY, replicate(true, { live: true })), waits for the
// metadata core's head, then times drive.download('/') (hyperdrive's own: a walk of the tree
// and content.download of each file's blocks, 50 at once). Prints one JSON line { seconds,
// connect_s, blocks: { metadata, content }, bytes, hyperdrive }.
// usage: NODE_PATH=tests/interop/js-p8/node_modules node bench/js/full-download.js STORE KEY HOST:PORT
'use strict'
const net = require('net')
const hyperdrive = require('hyperdrive')
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))
const now = () => Number(process.hrtime.bigint()) / 1e9

async function main () {
  const [store, key, peer] = process.argv.slice(2)
  const m = /^(.+):(\d+)$/.exec(peer || '')
  if (!store || !/^[0-9a-f]{64}$/.test(key || '') || !m) {
    console.error('usage: full-download.js STORE KEY HOST:PORT')
    process.exit(2)
  }
  const drive = hyperdrive(store, Buffer.from(key, 'hex'))
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  const blocks = { metadata: 0, content: 0 }
  let bytes = 0
  drive.metadata.on('download', () => blocks.metadata++)
  const t0 = now()
  const socket = net.connect(Number(m[2]), m[1])
  socket.setNoDelay(true)
  socket.on('error', (err) => console.error('socket error ' + err.message))
  const stream = drive.replicate(true, { live: true })
  stream.on('error', (err) => console.error('stream error ' + err.message))
  socket.pipe(stream).pipe(socket)
  while (drive.metadata.length < 1) await call(drive.metadata, 'update', { minLength: 1 })
  const out = { connect_s: now() - t0 }
  const content = await call(drive, 'getContent')
  content.on('download', (index, data) => { blocks.content++; bytes += data.length })
  const start = now()
  await call(drive, 'download', '/')
  out.seconds = now() - start
  out.blocks = blocks
  out.bytes = bytes
  out.hyperdrive = require('hyperdrive/package.json').version
  console.log(JSON.stringify(out))
  process.exit(0)
}

main().catch((err) => { console.error(err); process.exit(1) })
