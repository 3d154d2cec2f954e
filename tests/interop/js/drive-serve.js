#!/usr/bin/env node
// drive-serve.js DIR [--create] [--listen PORT]
// Serves the drive of the corestore folder DIR (its default drive) over TCP, one replication
// stream per connection (drive.replicate(false, { live: true }), i.e. corestore.replicate),
// until SIGTERM. --create: writes the rich drive of drive-lib.js first (DIR must be new).
// SIGUSR2 overwrites /overwrite.txt, writes /mnt/live-in-mount.txt (into the mounted drive), then
// /live.txt ("appeared live\n").
// Prints one JSON line { key, version, versions, pid, lines } (the manifest, drive-lib.js), then
// "listening on 127.0.0.1:PORT", then a line per connection event.
// Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8).
'use strict'
const hyperdrive = require('hyperdrive')
const { call, arg, manifest, writeRich, serveDrive } = require('./drive-lib')

async function main () {
  const dir = process.argv[2]
  if (!dir) { console.error('usage: drive-serve.js DIR [--create] [--listen PORT]'); process.exit(2) }
  const drive = hyperdrive(dir)
  drive.on('error', (err) => console.log('drive error ' + err.message))
  await call(drive, 'ready')
  let versions = null
  if (process.argv.includes('--create')) versions = await writeRich(drive)
  console.log(JSON.stringify({ key: drive.key.toString('hex'), version: drive.version, versions, pid: process.pid, lines: await manifest(drive) }))
  serveDrive(drive, Number(arg('--listen', '0')))
  // SIGUSR2: the writer appends while peers are connected (a live reader must see /live.txt).
  process.on('SIGUSR2', () => {
    call(drive, 'writeFile', '/overwrite.txt', Buffer.from('third version, written while mounted\n'))
      .then(() => call(drive, 'writeFile', '/mnt/live-in-mount.txt', Buffer.from('appeared in the mounted drive\n')))
      .then(() => call(drive, 'writeFile', '/live.txt', Buffer.from('appeared live\n')))
      .then(() => console.log('wrote /live.txt'), (err) => console.log('write error ' + err.message))
  })
  process.on('SIGTERM', () => process.exit(0))
}

main().catch((err) => { console.error('drive-serve.js:', err.stack || err.message); process.exit(1) })
