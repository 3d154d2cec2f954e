#!/usr/bin/env node
// drive-stat-sparse.js DIR KEY HOST:PORT PATH [readdir] : opens the drive KEY as a sparse replica
// in the corestore folder DIR (sparse and sparseMetadata), replicates with HOST:PORT over TCP,
// stats PATH (or with `readdir` lists it), prints { size, downloaded } ({ entries, downloaded })
// and closes. `downloaded` counts the metadata blocks that arrived ('download' events): the
// on-disk bitfield may still be unflushed when stat returns. JS hypertrie asks its peers with
// the `hypertrie` extension meanwhile. Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8).
'use strict'
const net = require('net')
const hyperdrive = require('hyperdrive')
const { call } = require('./drive-lib')

async function main () {
  const [dir, key, peer, path, op] = process.argv.slice(2)
  if (!path) { console.error('usage: drive-stat-sparse.js DIR KEY HOST:PORT PATH [readdir]'); process.exit(2) }
  const drive = hyperdrive(dir, Buffer.from(key, 'hex'), { sparse: true, sparseMetadata: true })
  await call(drive, 'ready')
  let downloaded = 0
  drive.metadata.on('download', () => { downloaded++ })
  const [host, port] = peer.split(':')
  const socket = net.connect(Number(port), host)
  socket.on('error', () => {})
  const stream = drive.replicate(true, { live: true })
  stream.on('error', () => {})
  socket.pipe(stream).pipe(socket)
  while (drive.metadata.length < 1) await call(drive.metadata, 'update', { minLength: 1 })
  const result = op === 'readdir'
    ? { entries: (await call(drive, 'readdir', path)).length }
    : { size: (await call(drive, 'stat', path)).size }
  socket.destroy()
  await call(drive, 'close')
  console.log(JSON.stringify({ ...result, downloaded }))
}

main().catch((err) => { console.error('drive-stat-sparse.js:', err.stack || err.message); process.exit(1) })
