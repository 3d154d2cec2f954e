// Small helpers shared by the interop scripts (plain Node, hypercore 8.14.0).
'use strict'
const crypto = require('crypto')

// Deterministic block content: AES-128-CTR keystream keyed by the seed, IV = block index.
function blockBytes (seed, index, size) {
  const key = crypto.createHash('sha256').update(String(seed)).digest().subarray(0, 16)
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(index >>> 0, 12)
  const c = crypto.createCipheriv('aes-128-ctr', key, iv)
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()])
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex')

// Promise wrapper for node-style callback methods: call(feed, 'get', 3)
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

// "1,5,7-9" -> [1, 5, 7, 8, 9]
function parseBlocks (spec) {
  const out = []
  for (const part of String(spec).split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!m) throw new Error('bad block list: ' + spec)
    const a = Number(m[1]); const b = m[2] === undefined ? a : Number(m[2])
    for (let i = a; i <= b; i++) out.push(i)
  }
  return out
}

module.exports = { blockBytes, sha256, call, parseBlocks }
