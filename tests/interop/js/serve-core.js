#!/usr/bin/env node
// serve-core.js DIR [--create N --size S] (--listen PORT | --connect HOST:PORT)
// Serves the hypercore in DIR over one TCP connection per peer, live (feed.replicate(.., {live: true})).
// --create N: makes a new writable core with N blocks; block i = deterministic bytes of size
//   S + (i % 7) * 100 (seed "hm-replicate"). Prints "key HEX", then "listening on 127.0.0.1:PORT"
//   (or "connected"), then one line per event. Standard input: each line "append" appends one
//   block (the next deterministic one) and prints "appended LENGTH".
// Works with hypercore 8.14 (js-p7) and 9.12 (js-p8): it uses only the API both share.
'use strict'
const net = require('net')
const crypto = require('crypto')
const readline = require('readline')
const hypercore = require('hypercore')

function blockBytes (index, size) {
  const key = crypto.createHash('sha256').update('hm-replicate').digest().subarray(0, 16)
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(index >>> 0, 12)
  const c = crypto.createCipheriv('aes-128-ctr', key, iv)
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()])
}
const { call } = require('./lib')
function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i === -1 ? def : process.argv[i + 1]
}

async function main () {
  const dir = process.argv[2]
  if (!dir) { console.error('usage: serve-core.js DIR [--create N --size S] (--listen PORT | --connect HOST:PORT)'); process.exit(2) }
  const feed = hypercore(dir)
  await call(feed, 'ready')
  const size = Number(arg('--size', '1000'))
  const create = arg('--create')
  if (create !== undefined && feed.length === 0) {
    const n = Number(create)
    for (let i = 0; i < n; i += 100) {
      const batch = []
      for (let j = i; j < Math.min(n, i + 100); j++) batch.push(blockBytes(j, size + (j % 7) * 100))
      await call(feed, 'append', batch)
    }
  }
  console.log('key ' + feed.key.toString('hex'))
  const replicate = (socket, initiator) => {
    const stream = feed.replicate(initiator, { live: true })
    stream.on('error', (err) => console.log('stream error ' + err.message))
    socket.on('error', () => {})
    socket.pipe(stream).pipe(socket)
  }
  const connect = arg('--connect')
  if (connect) {
    const [host, port] = connect.split(':')
    const socket = net.connect(Number(port), host, () => console.log('connected'))
    replicate(socket, true)
    socket.on('close', () => { console.log('closed'); process.exit(0) })
  } else {
    const server = net.createServer((socket) => replicate(socket, false))
    server.listen(Number(arg('--listen', '0')), '127.0.0.1', () => {
      console.log('listening on 127.0.0.1:' + server.address().port)
    })
  }
  const rl = readline.createInterface({ input: process.stdin })
  let appending = Promise.resolve() // one append at a time: block i is computed from feed.length
  rl.on('line', (line) => {
    if (line.trim() !== 'append') return
    appending = appending.then(async () => {
      await call(feed, 'append', blockBytes(feed.length, size + (feed.length % 7) * 100))
      console.log('appended ' + feed.length)
    })
  })
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('serve-core.js:', err.message); process.exit(1) })
