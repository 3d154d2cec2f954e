#!/usr/bin/env node
// drive-read.js DIR KEY [--version V] [--peer HOST:PORT [--min-length N]] [--write PATH TEXT]
// Opens the drive KEY with its own corestore on the folder DIR (random-access-file) and prints
// a JSON manifest { key, version, writable, lines } (lines: see drive-lib.js).
//   --version V      the manifest of the checkout at version V
//   --peer H:P       first connects to H:P over TCP (initiator, live) and replicates the drive
//                    (corestore.replicate through drive.replicate); waits until the metadata core
//                    has at least --min-length blocks (default 1); DIR may be empty
//   --write P TEXT   after reading, writes TEXT to P with writeFile (proves the store's keys are
//                    usable here) and adds { written: { version, contentWritable } }
// Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8).
'use strict'
const net = require('net')
const hyperdrive = require('hyperdrive')
const { call, arg, manifest } = require('./drive-lib')

async function main () {
  const [dir, key] = process.argv.slice(2)
  if (!dir || !key) { console.error('usage: drive-read.js DIR KEY [--version V] [--peer HOST:PORT] [--write PATH TEXT]'); process.exit(2) }
  const drive = hyperdrive(dir, Buffer.from(key, 'hex'))
  drive.on('error', (err) => console.error('drive error', err.message))
  await call(drive, 'ready')
  let socket = null
  const peer = arg('--peer')
  if (peer) {
    const [host, port] = peer.split(':')
    socket = net.connect(Number(port), host)
    socket.on('error', (err) => console.error('socket error', err.message))
    const stream = drive.replicate(true, { live: true })
    stream.on('error', (err) => console.error('stream error', err.message))
    socket.pipe(stream).pipe(socket)
    const min = Number(arg('--min-length', '1'))
    while (drive.metadata.length < min) await call(drive.metadata, 'update', { minLength: min })
  }
  const version = arg('--version')
  const view = version === undefined ? drive : drive.checkout(Number(version))
  const out = {
    key: drive.key.toString('hex'),
    version: drive.version,
    metadataLength: drive.metadata.length,
    writable: drive.writable,
    lines: await manifest(view)
  }
  const writeIdx = process.argv.indexOf('--write')
  if (writeIdx !== -1) {
    await call(drive, 'writeFile', process.argv[writeIdx + 1], Buffer.from(process.argv[writeIdx + 2]))
    out.written = { version: drive.version, contentWritable: drive.contentWritable }
  }
  if (socket) socket.destroy()
  await call(drive, 'close')
  console.log(JSON.stringify(out))
}

main().catch((err) => { console.error('drive-read.js:', err.stack || err.message); process.exit(1) })
