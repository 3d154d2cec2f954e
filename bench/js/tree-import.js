#!/usr/bin/env node
// The JS side of bench/sync_run.sh: JS hyperdrive 10 importing a folder tree (the figure beside
// `hypermount create DIR`), then serving the drive. Opens hyperdrive(STORE) (new), walks SRC in
// sorted order: mkdir of each folder (mode, mtime), writeFile of each file (mode, uid, gid,
// mtime), symlink of each link, one after the other; prints one JSON line { key, files, bytes,
// seconds, hyperdrive }. With `serve` it then serves the drive on 127.0.0.1 ("listening on
// 127.0.0.1:PORT", drive-lib.js serveDrive) until SIGTERM; otherwise it exits.
// usage: NODE_PATH=tests/interop/js-p8/node_modules node bench/js/tree-import.js SRC STORE [serve]
'use strict'
const fs = require('fs')
const path = require('path')
const hyperdrive = require('hyperdrive')
const { call, serveDrive } = require(path.join(__dirname, '..', '..', 'tests', 'interop', 'js', 'drive-lib'))

async function main () {
  const [src, store, serve] = process.argv.slice(2)
  if (!src || !store) { console.error('usage: tree-import.js SRC STORE [serve]'); process.exit(2) }
  const drive = hyperdrive(store)
  drive.on('error', (err) => console.error('drive error ' + err.message))
  await call(drive, 'ready')
  const out = { key: drive.key.toString('hex'), files: 0, bytes: 0 }
  const t0 = process.hrtime.bigint()
  const walk = async (dir, at) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name)
      const to = at + '/' + name
      const st = fs.lstatSync(p)
      if (st.isDirectory()) {
        await call(drive, 'mkdir', to, { mode: st.mode, mtime: st.mtime })
        await walk(p, to)
      } else if (st.isSymbolicLink()) {
        await call(drive, 'symlink', fs.readlinkSync(p), to)
      } else if (st.isFile()) {
        await call(drive, 'writeFile', to, fs.readFileSync(p), { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime })
        out.files++
        out.bytes += st.size
      }
    }
  }
  await walk(src, '')
  out.seconds = Number(process.hrtime.bigint() - t0) / 1e9
  out.hyperdrive = require('hyperdrive/package.json').version
  console.log(JSON.stringify(out))
  if (serve !== 'serve') process.exit(0)
  serveDrive(drive, 0)
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error(err); process.exit(1) })
