// The utp-native 2.5.3 side of swarm_utp_js.sh: listens (printing {"port"}) or dials 127.0.0.1,
// sends SIZE random bytes and ends, and prints the SHA-256 of what it sent and received once
// both directions ended; exits when the connection closes. Usage: node utp_js_peer.js listen SIZE | dial PORT SIZE
const utp = require('utp-native')
const crypto = require('crypto')

const [mode, a, b] = process.argv.slice(2)
const size = Number(mode === 'listen' ? a : b)
const out = crypto.randomBytes(size)

function run (socket) {
  const received = []
  let ended = false
  let finished = false
  const done = () => {
    if (!ended || !finished) return
    const input = Buffer.concat(received)
    console.log(JSON.stringify({
      sent: crypto.createHash('sha256').update(out).digest('hex'),
      sentBytes: out.length,
      received: crypto.createHash('sha256').update(input).digest('hex'),
      receivedBytes: input.length
    }))
  }
  socket.on('data', (data) => received.push(data))
  socket.on('end', () => { ended = true; done() })
  socket.on('finish', () => { finished = true; done() })
  // utp-native closes the connection once both FINs are acknowledged.
  socket.on('close', () => process.exit(ended && finished ? 0 : 1))
  socket.on('error', (err) => { console.error('error', err.message); process.exit(1) })
  socket.end(out)
}

if (mode === 'listen') {
  const server = utp.createServer({ allowHalfOpen: true }, run)
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
} else {
  run(utp.connect(Number(a), '127.0.0.1', { allowHalfOpen: true }))
}
