#!/usr/bin/env node
// JS-to-JS reference figure for bench/replicate_bench.cpp: full clone of a core (default 256 MiB
// in 64 KiB blocks) over TCP loopback, server in a child process, in MB/s; then the latency of
// single sparse block gets over the established connection, in ms.
// Usage: node bench/js/replicate_js_bench.js [MIB] [BLOCK_KIB] [JS_DIR]
//   JS_DIR: a folder with node_modules/hypercore (default tests/interop/js-p8: hypercore 9.12).
'use strict'
const path = require('path')
const os = require('os')
const fs = require('fs')
const net = require('net')
const crypto = require('crypto')
const { fork } = require('child_process')

const mib = Number(process.argv[2] || 256)
const blockKib = Number(process.argv[3] || 64)
const jsDir = process.argv[4] || path.join(__dirname, '..', '..', 'tests', 'interop', 'js-p8')
const hypercore = require(path.join(path.resolve(jsDir), 'node_modules', 'hypercore'))
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

async function serve (dir) {
  const feed = hypercore(dir)
  await call(feed, 'ready')
  const blocks = mib * 1024 / blockKib
  for (let i = 0; i < blocks; i += 64) {
    const batch = []
    for (let j = i; j < Math.min(blocks, i + 64); j++) {
      const b = Buffer.alloc(blockKib * 1024)
      crypto.randomFillSync(b, 0, 64)
      batch.push(b)
    }
    await call(feed, 'append', batch)
  }
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    const r = feed.replicate(false, { live: true })
    r.on('error', () => {})
    socket.pipe(r).pipe(socket)
  })
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, key: feed.key.toString('hex'), length: feed.length }))
}

async function clone () {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-js-bench-'))
  const child = fork(__filename, [String(mib), String(blockKib), jsDir, 'serve', path.join(base, 'w')])
  const info = await new Promise((resolve) => child.once('message', resolve))
  console.log(`core: ${info.length} blocks of ${blockKib} KiB (${mib} MiB), ${path.basename(path.resolve(jsDir))}`)

  const full = hypercore(path.join(base, 'r'), Buffer.from(info.key, 'hex'))
  await call(full, 'ready')
  let start = process.hrtime.bigint()
  const socket = net.connect(info.port, '127.0.0.1')
  const r1 = full.replicate(true, { live: true })
  r1.on('error', () => {})
  socket.on('error', () => {})
  socket.pipe(r1).pipe(socket)
  await call(full, 'update')
  await call(full, 'download', { start: 0, end: full.length })
  let seconds = Number(process.hrtime.bigint() - start) / 1e9
  const mb = info.length * blockKib * 1024 / 1e6
  console.log(`full clone: ${seconds.toFixed(2)} s, ${(mb / seconds).toFixed(1)} MB/s, ${full.downloaded()} blocks`)
  socket.destroy()

  const sparse = hypercore(path.join(base, 's'), Buffer.from(info.key, 'hex'), { sparse: true })
  await call(sparse, 'ready')
  const s2 = net.connect(info.port, '127.0.0.1')
  const r2 = sparse.replicate(true, { live: true })
  r2.on('error', () => {})
  s2.on('error', () => {})
  s2.pipe(r2).pipe(s2)
  const ms = []
  for (let i = 0; i < 41; i++) {
    start = process.hrtime.bigint()
    await call(sparse, 'get', (i * 7919) % info.length)
    if (i > 0) ms.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  ms.sort((a, b) => a - b)
  console.log(`sparse get of one ${blockKib} KiB block: median ${ms[ms.length >> 1].toFixed(3)} ms, min ${ms[0].toFixed(3)} ms, max ${ms[ms.length - 1].toFixed(3)} ms (${ms.length} gets)`)
  s2.destroy()
  child.kill()
  fs.rmSync(base, { recursive: true, force: true })
  process.exit(0)
}

if (process.argv[5] === 'serve') serve(process.argv[6])
else clone().catch((err) => { console.error(err); process.exit(1) })
