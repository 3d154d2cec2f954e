#!/usr/bin/env node
// drive-write.js DIR : creates a drive in the corestore folder DIR (random-access-file), writes
// the rich drive of drive-lib.js, closes it and prints a JSON manifest:
//   { key, versions: { beforeDelete, final }, version, writable, lines, linesBeforeDelete }
// lines / linesBeforeDelete: the manifest (drive-lib.js) of the drive and of its checkout at
// versions.beforeDelete, both read back by the same JS drive.
'use strict'
const hyperdrive = require('hyperdrive')
const { call, manifest, writeRich } = require('./drive-lib')

async function main () {
  const dir = process.argv[2]
  if (!dir) { console.error('usage: drive-write.js DIR'); process.exit(2) }
  const drive = hyperdrive(dir)
  await call(drive, 'ready')
  const versions = await writeRich(drive)
  const lines = await manifest(drive)
  const linesBeforeDelete = await manifest(drive.checkout(versions.beforeDelete))
  const out = {
    key: drive.key.toString('hex'),
    versions,
    version: drive.version,
    metadataLength: drive.metadata.length,
    writable: drive.writable,
    lines,
    linesBeforeDelete
  }
  await call(drive, 'close')
  console.log(JSON.stringify(out))
}

main().catch((err) => { console.error('drive-write.js:', err.stack || err.message); process.exit(1) })
