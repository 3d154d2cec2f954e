#!/usr/bin/env node
// JS reference for bench/drive_bench.cpp: the same cases, paths and output lines, run against
// JS hyperdrive (10.21.0 from tests/interop/js-p8 unless JS_DIR says otherwise).
// Usage: node bench/js/drive-bench.js CASE STORE_DIR N [JS_DIR]   (cases: see drive_bench.cpp)
'use strict'
const path = require('path')
const crypto = require('crypto')

const [kase, dir, nArg, jsArg] = process.argv.slice(2)
const n = Number(nArg)
const jsDir = path.resolve(jsArg || path.join(__dirname, '..', '..', 'tests', 'interop', 'js-p8'))
const hyperdrive = require(path.join(jsDir, 'node_modules', 'hyperdrive'))
const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

// As in drive_bench.cpp: 1000 files a leaf directory, 10 leaf directories a top-level one.
const TREE_FILES_PER_DIR = 1000
const TREE_DIRS_PER_TOP = 10

const pad = (i, width) => String(i).padStart(width, '0')
const dirFile = (i) => `/dir/f${pad(i, 6)}`
const treeDir = (d) => `/t${pad(Math.floor(d / TREE_DIRS_PER_TOP), 3)}/d${d % TREE_DIRS_PER_TOP}`

function treePaths (files) {
  const paths = []
  for (let i = 0; i < files; i++) {
    paths.push(`${treeDir(Math.floor(i / TREE_FILES_PER_DIR))}/f${pad(i % TREE_FILES_PER_DIR, 4)}`)
  }
  const leaves = Math.ceil(files / TREE_FILES_PER_DIR)
  for (let d = 0; d < leaves; d++) paths.push(treeDir(d))
  for (let t = 0; t * TREE_DIRS_PER_TOP < leaves; t++) paths.push(`/t${pad(t, 3)}`)
  return paths
}

// Fisher-Yates with a fixed seed (mulberry32), so that runs compare.
function shuffled (paths) {
  let seed = 42
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = paths.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const now = () => Number(process.hrtime.bigint()) / 1e9
const report = (figure, value, unit) => console.log(`${figure} ${value.toFixed(1)} ${unit}`)
const reportRss = (figure) => report(figure + '.rss', process.resourceUsage().maxRSS / 1024, 'MiB')

async function openDrive () {
  const drive = hyperdrive(dir)
  await call(drive, 'ready')
  return drive
}

async function createFiles (files, mkdir, figure) {
  const drive = await openDrive()
  const start = now()
  if (mkdir) await call(drive, 'mkdir', '/dir')
  for (const p of files) await call(drive, 'writeFile', p, Buffer.from(p))
  report(figure, files.length / (now() - start), 'files/s')
  reportRss(figure)
  await call(drive, 'close')
}

async function statAll (paths, figure) {
  const drive = await openDrive()
  const order = shuffled(paths)
  const start = now()
  for (const p of order) await call(drive, 'lstat', p)
  report(figure, paths.length / (now() - start), 'ops/s')
  reportRss(figure)
  await call(drive, 'close')
}

async function listTree (drive, p) {
  const entries = await call(drive, 'readdir', p, { includeStats: true })
  let count = entries.length
  for (const e of entries) {
    if (e.stat.isDirectory()) count += await listTree(drive, (p === '/' ? '' : p) + '/' + e.name)
  }
  return count
}

async function readdirAll (p, expected, figure) {
  const drive = await openDrive()
  for (const pass of ['', '.warm']) {
    const start = now()
    const count = await listTree(drive, p)
    const ms = (now() - start) * 1e3
    if (count !== expected) throw new Error(`${p} lists ${count} entries, expected ${expected}`)
    report(figure + pass, ms, 'ms')
  }
  reportRss(figure)
  await call(drive, 'close')
}

async function writeBig (mib) {
  const data = crypto.randomBytes(mib * 1024 * 1024)
  const drive = await openDrive()
  const start = now()
  await call(drive, 'writeFile', '/big', data)
  report('file.write', data.length / 1e6 / (now() - start), 'MB/s')
  reportRss('file.write')
  await call(drive, 'close')
}

async function readBig (mib) {
  const drive = await openDrive()
  const start = now()
  const data = await call(drive, 'readFile', '/big')
  const seconds = now() - start
  if (data.length !== mib * 1024 * 1024) throw new Error(`/big has ${data.length} bytes`)
  report('file.read', data.length / 1e6 / seconds, 'MB/s')
  reportRss('file.read')
  await call(drive, 'close')
}

const cases = {
  'dir-create': () => createFiles(Array.from({ length: n }, (_, i) => dirFile(i)), true, 'dir.create'),
  'dir-stat': () => statAll(Array.from({ length: n }, (_, i) => dirFile(i)), 'dir.stat'),
  'dir-readdir': () => readdirAll('/dir', n, 'dir.readdir'),
  'tree-create': () => createFiles(treePaths(n).slice(0, n), false, 'tree.create'),
  'tree-stat': () => statAll(treePaths(n), 'tree.stat'),
  'tree-readdir': () => readdirAll('/', treePaths(n).length, 'tree.readdir'),
  'file-write': () => writeBig(n),
  'file-read': () => readBig(n)
}

if (!cases[kase] || !dir || !(n > 0)) {
  console.error('usage: drive-bench.js CASE STORE_DIR N [JS_DIR]; cases: ' + Object.keys(cases).join(' '))
  process.exit(2)
}
cases[kase]().catch((err) => { console.error('drive-bench.js:', err.stack || err.message); process.exit(1) })
