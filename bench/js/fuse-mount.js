#!/usr/bin/env node
// The JS FUSE layer of hyperdrive-daemon 1.14 (hyperdrive-fuse 1.2.16) mounting a js-p8 hyperdrive
// 10.21.0; prints "mounted" once up, unmounts on SIGTERM. Stacks: $HM_JS_P8, $HM_JS_FUSE.
// usage: fuse-mount.js STORE KEY MOUNTPOINT [--peer HOST:PORT]   (--peer: replicate live over TCP)
'use strict'
const net = require('net')
const path = require('path')

const stack = process.env.HM_JS_P8 || path.join(__dirname, '..', '..', 'tests', 'interop', 'js-p8')
const hyperdrive = require(path.join(stack, 'node_modules', 'hyperdrive'))
const { HyperdriveFuse } = require(path.join(process.env.HM_JS_FUSE, 'node_modules', 'hyperdrive-fuse'))

const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

async function main () {
  const [store, key, mnt] = process.argv.slice(2)
  const peerAt = process.argv.indexOf('--peer')
  const drive = hyperdrive(store, Buffer.from(key, 'hex'))
  drive.on('error', (err) => console.error('drive error', err.message))
  await call(drive, 'ready')
  if (peerAt !== -1) {
    const [host, port] = process.argv[peerAt + 1].split(':')
    const socket = net.connect(Number(port), host)
    const stream = drive.replicate(true, { live: true })
    socket.on('error', (err) => console.error('socket error', err.message))
    stream.on('error', (err) => console.error('stream error', err.message))
    socket.pipe(stream).pipe(socket)
    while (drive.metadata.length < 1) await call(drive.metadata, 'update', { minLength: 1 })
  }
  const fuse = new HyperdriveFuse(drive, mnt)
  await fuse.mount()
  console.log('mounted')
  process.on('SIGTERM', async () => {
    await fuse.unmount().catch((err) => console.error('unmount:', err.message))
    process.exit(0)
  })
}

main().catch((err) => { console.error('fuse-mount.js:', err.stack || err.message); process.exit(1) })
