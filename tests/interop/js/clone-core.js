#!/usr/bin/env node
// clone-core.js KEY DIR (--peer HOST:PORT | --listen PORT) [--blocks 1,5,7-9] [--live]
// Replicates the hypercore KEY into DIR over TCP. Without --blocks the whole core is downloaded,
// with --blocks only those (sparse feed + feed.get). Non-live: prints one JSON line
//   {length, present, downloaded, blocks: {index: sha256}} and exits 0 once done.
// --live: keeps the stream open and prints "length L present P" whenever it changes.
// With --listen it prints "listening on 127.0.0.1:PORT" first. Works with hypercore 8 and 9.
'use strict'
const net = require('net')
const crypto = require('crypto')
const hypercore = require('hypercore')

const { call, parseBlocks } = require('./lib')
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex')
function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i === -1 ? def : process.argv[i + 1]
}

async function main () {
  const [key, dir] = process.argv.slice(2)
  if (!key || !dir) { console.error('usage: clone-core.js KEY DIR (--peer HOST:PORT | --listen PORT) [--blocks SPEC] [--live]'); process.exit(2) }
  const blocksSpec = arg('--blocks')
  const live = process.argv.includes('--live')
  const feed = hypercore(dir, Buffer.from(key, 'hex'), { sparse: !!blocksSpec })
  await call(feed, 'ready')
  let downloaded = 0
  feed.on('download', () => { downloaded++ })

  let last = ''
  const report = () => {
    let present = 0
    for (let i = 0; i < feed.length; i++) if (feed.has(i)) present++
    const line = 'length ' + feed.length + ' present ' + present
    if (line !== last) { last = line; console.log(line) }
  }
  const finish = async () => {
    const blocks = {}
    let present = 0
    for (let i = 0; i < feed.length; i++) {
      if (!feed.has(i)) continue
      present++
      blocks[i] = sha256(await call(feed, 'get', i))
    }
    console.log(JSON.stringify({ length: feed.length, present, downloaded, blocks }))
    process.exit(0)
  }

  const run = async (socket, initiator) => {
    const stream = feed.replicate(initiator, { live })
    stream.on('error', (err) => console.error('stream error ' + err.message))
    socket.on('error', () => {})
    socket.pipe(stream).pipe(socket)
    if (live) {
      feed.on('download', report)
      feed.on('append', report)
      setInterval(report, 200)
      if (!blocksSpec) feed.download({ start: 0, end: -1 })
      return
    }
    if (blocksSpec) {
      await Promise.all(parseBlocks(blocksSpec).map((i) => call(feed, 'get', i)))
    } else {
      if (feed.length === 0) await call(feed, 'update')
      await call(feed, 'download', { start: 0, end: feed.length })
    }
    await finish()
  }
  const peer = arg('--peer')
  if (peer) {
    const [host, port] = peer.split(':')
    const socket = net.connect(Number(port), host)
    run(socket, true).catch((err) => { console.error('clone-core.js:', err.message); process.exit(1) })
  } else {
    const server = net.createServer((socket) => {
      run(socket, false).catch((err) => { console.error('clone-core.js:', err.message); process.exit(1) })
    })
    server.listen(Number(arg('--listen', '0')), '127.0.0.1', () => {
      console.log('listening on 127.0.0.1:' + server.address().port)
    })
  }
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('clone-core.js:', err.message); process.exit(1) })
