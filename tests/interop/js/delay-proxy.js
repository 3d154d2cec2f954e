#!/usr/bin/env node
// delay-proxy.js HOST:PORT [DELAY_MS]
// A TCP proxy with latency: listens on 127.0.0.1 on a port the OS picks, prints
// "listening on 127.0.0.1:PORT", and forwards every connection to HOST:PORT, holding each chunk
// DELAY_MS milliseconds (default 100) before passing it on, in both directions, in order (a round
// trip through the proxy costs at least 2 * DELAY_MS). Plain Node, no packages. Prints a line per
// connection event; runs until SIGTERM.
'use strict'
const net = require('net')

const target = process.argv[2]
const delay = Number(process.argv[3] === undefined ? 100 : process.argv[3])
const m = /^(.+):(\d+)$/.exec(target || '')
if (!m || !(delay >= 0)) {
  console.error('usage: delay-proxy.js HOST:PORT [DELAY_MS]')
  process.exit(2)
}
const host = m[1]
const port = Number(m[2])

// Copies from `from` to `to`, each chunk DELAY ms after it arrived, keeping the order; ends `to`
// once `from` has ended and every held chunk is out.
function delayed (from, to) {
  const queue = [] // { at, chunk }, in arrival order (so `at` never decreases)
  let ended = false
  let timer = null
  function pump () {
    timer = null
    const now = Date.now()
    while (queue.length && queue[0].at <= now) {
      if (!to.destroyed) to.write(queue.shift().chunk)
      else queue.shift()
    }
    if (queue.length) timer = setTimeout(pump, queue[0].at - now)
    else if (ended && !to.destroyed) to.end()
  }
  from.on('data', (chunk) => {
    queue.push({ at: Date.now() + delay, chunk })
    if (!timer) timer = setTimeout(pump, delay)
  })
  from.on('end', () => {
    ended = true
    if (!timer) pump()
  })
}

let connections = 0
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const id = ++connections
  console.log('connection ' + id)
  const upstream = net.connect({ port, host, allowHalfOpen: true })
  client.setNoDelay(true) // the only delay is ours (no Nagle waiting for delayed ACKs)
  upstream.setNoDelay(true)
  let closed = false
  const close = (why) => {
    if (!closed) console.log('closed ' + id + (why ? ' (' + why + ')' : ''))
    closed = true
    client.destroy()
    upstream.destroy()
  }
  client.on('error', (err) => close('client: ' + err.message))
  upstream.on('error', (err) => close('upstream: ' + err.message))
  // once one side is gone, the other goes too, after what is held for it has been passed on
  client.on('close', () => setTimeout(close, delay + 50))
  upstream.on('close', () => setTimeout(close, delay + 50))
  delayed(client, upstream)
  delayed(upstream, client)
})
server.listen(0, '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + server.address().port)
})
process.on('SIGTERM', () => process.exit(0))
