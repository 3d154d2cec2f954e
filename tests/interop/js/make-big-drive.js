#!/usr/bin/env node
// make-big-drive.js DIR [--folders 300,5000,50000] [--tree DxSxF] [--parallel N] [--batch N]
//                       [--batch-from N] [--manifest OUTDIR] [--listen PORT]
// Creates the default drive of the corestore folder DIR (which must be new) holding many small
// files, for the big-listing tests (tests/fs/fs_remote_large.sh):
//   /fN/file-I           for each N of --folders, I = 0..N-1
//   /tree/dA/sB/file-C   --tree DxSxF: D folders dA, each with S subfolders sB, each with F files
//                        (file-C, C = 0..F-1); '' or 0x0x0: no tree
// Every file holds its own path and a newline ("/f300/file-17\n"): distinct contents, sizes that
// vary with the length of the number.
// --parallel N: N writeFile calls in flight at once (default 1). hyperdrive takes a lock per
//   write (content append, then trie put), so more in flight gains nothing: measured on 2 cores,
//   10,000 files take 8-12 s with either stack whether 1, 8 or 32 are in flight. All 155,300
//   files of the default set with writeFile: 114 s (10.21.0), 104 s (10.8.16), each alone.
// --batch N, --batch-from M: a top folder of at least M files (default 20000) is written N files
//   at a time (default 2000; 0 = never): their contents in one append to the content core
//   (one block per file, as writeFile makes for a small file), their Stat records in one
//   hypertrie batch (the same trie nodes as N puts one after the other, appended and signed once).
//   The drive reads the same as one made with writeFile (but for mtime/ctime); 50,000 files
//   take about 10 s instead of 30-40 s, the 100,000 of the tree 10-15 s instead of 65-70 s.
// --manifest OUTDIR: writes OUTDIR/NAME.txt for each top folder NAME (f300, ..., tree), one
//   line "SIZE PATH" per file (PATH relative to the folder), in creation order.
// Prints one JSON line { key, version, files, bytes: { NAME: total }, counts: { NAME: files },
//   seconds: { NAME: write time }, total_seconds, rate (files/s), hyperdrive (its version) }.
// --listen PORT: then serves the drive over TCP on 127.0.0.1:PORT (0: any free port), one
//   replication stream per connection (drive.replicate(false, { live: true }); TCP_NODELAY, as
//   hyperswarm sets it: without it Nagle and delayed ACKs hold most answers 40 ms), prints
//   "listening on 127.0.0.1:PORT" and a line per connection event, until SIGTERM.
// Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8) (run with NODE_PATH at one stack).
'use strict'
const fs = require('fs')
const path = require('path')
const hyperdrive = require('hyperdrive')
const { Stat } = require('hyperdrive-schemas') // the version this hyperdrive uses

const { call, arg, serveDrive } = require('./drive-lib')

// Runs work(item) for every item of the iterable, at most `limit` at a time.
async function pool (items, limit, work) {
  const it = items[Symbol.iterator]()
  let failed = null
  async function worker () {
    for (let next = it.next(); !next.done && !failed; next = it.next()) {
      try { await work(next.value) } catch (err) { failed = err }
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  if (failed) throw failed
}

function * range (n) { for (let i = 0; i < n; i++) yield i }

// The drive's content core (10.21.0: getContent; 10.8.16: _getContent(db)); it exists once a
// file has been written.
async function contentFeed (drive) {
  if (typeof drive.getContent === 'function') return call(drive, 'getContent')
  const state = await new Promise((resolve, reject) =>
    drive._getContent(drive.db, (err, st) => err ? reject(err) : resolve(st)))
  return state.feed
}

async function main () {
  const dir = process.argv[2]
  if (!dir || dir.startsWith('--')) {
    console.error('usage: make-big-drive.js DIR [--folders N,...] [--tree DxSxF] [--parallel N] [--manifest OUTDIR] [--listen PORT]')
    process.exit(2)
  }
  const folders = String(arg('--folders', '300,5000,50000')).split(',').filter(Boolean).map(Number)
  const tree = String(arg('--tree', '100x10x100')).split('x').filter(Boolean).map(Number)
  const parallel = Math.max(1, Number(arg('--parallel', '1')))
  const batch = Math.max(0, Number(arg('--batch', '2000')))
  const batchFrom = Number(arg('--batch-from', '20000'))
  const manifestDir = arg('--manifest', null)
  if (manifestDir) fs.mkdirSync(manifestDir, { recursive: true })

  const drive = hyperdrive(dir)
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  if (drive.version > 1) throw new Error(dir + ' already holds a drive of version ' + drive.version)

  const out = { key: drive.key.toString('hex'), version: 0, files: 0, bytes: {}, counts: {}, seconds: {}, how: {} }
  const started = process.hrtime.bigint()
  // writes the files of one top folder NAME; paths: an array of paths relative to /NAME
  async function writeFolder (name, paths) {
    const t0 = process.hrtime.bigint()
    const lines = []
    let bytes = 0
    let count = 0
    const done = (rel, data) => { lines.push(data.length + ' ' + rel); bytes += data.length; count++ }
    const contentOf = (rel) => Buffer.from('/' + name + '/' + rel + '\n')
    let batched = batch > 0 && paths.length >= batchFrom
    if (batched) {
      // the first file with writeFile (it makes the content core if there is none yet)
      await call(drive, 'writeFile', '/' + name + '/' + paths[0], contentOf(paths[0]))
      done(paths[0], contentOf(paths[0]))
      const content = await contentFeed(drive)
      for (let at = 1; at < paths.length; at += batch) {
        const rels = paths.slice(at, at + batch)
        const datas = rels.map(contentOf)
        const offset = content.length
        let byteOffset = content.byteLength
        await call(content, 'append', datas)
        const now = Date.now()
        const ops = rels.map((rel, i) => {
          const st = Stat.file({ offset: offset + i, byteOffset, size: datas[i].length, blocks: 1, mtime: now, ctime: now })
          byteOffset += datas[i].length
          return { type: 'put', key: name + '/' + rel, value: st.encode() }
        })
        await call(drive.db.trie, 'batch', ops)
        rels.forEach((rel, i) => done(rel, datas[i]))
      }
    } else {
      await pool(paths, parallel, async (rel) => {
        const data = contentOf(rel)
        await call(drive, 'writeFile', '/' + name + '/' + rel, data)
        done(rel, data)
      })
    }
    if (manifestDir) fs.writeFileSync(path.join(manifestDir, name + '.txt'), lines.join('\n') + '\n')
    out.bytes[name] = bytes
    out.counts[name] = count
    out.files += count
    out.seconds[name] = Number(process.hrtime.bigint() - t0) / 1e9
    out.how[name] = batched ? 'batch ' + batch : 'writeFile x' + parallel
    console.error(`make-big-drive: /${name}: ${count} files in ${out.seconds[name].toFixed(1)} s (${out.how[name]})`)
  }
  for (const n of folders) {
    await writeFolder('f' + n, Array.from(range(n), (i) => 'file-' + i))
  }
  if (tree.length === 3 && tree[0] * tree[1] * tree[2] > 0) {
    const [D, S, F] = tree
    const paths = []
    for (const a of range(D)) for (const b of range(S)) for (const c of range(F)) paths.push(`d${a}/s${b}/file-${c}`)
    await writeFolder('tree', paths)
  }
  out.total_seconds = Number(process.hrtime.bigint() - started) / 1e9
  out.rate = Math.round(out.files / out.total_seconds)
  out.version = drive.version
  out.parallel = parallel
  out.hyperdrive = require('hyperdrive/package.json').version
  console.log(JSON.stringify(out))

  const listen = arg('--listen', null)
  if (listen === null) {
    await call(drive, 'close')
    return
  }
  serveDrive(drive, Number(listen))
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('make-big-drive.js:', err.stack || err.message); process.exit(1) })
