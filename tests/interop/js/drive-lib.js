// Shared by the drive-*.js helpers (identical copies in js-p7/ and js-p8/): promise wrappers,
// deterministic file bytes, the "rich drive" writer and the manifest walker.
// Works with hyperdrive 10.8.16 (js-p7) and 10.21.0 (js-p8): it uses only the API both share.
'use strict'
const crypto = require('crypto')

const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, val) => err ? reject(err) : resolve(val)))

function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i === -1 ? def : process.argv[i + 1]
}

// SIZE deterministic bytes for SEED (AES-128-CTR keystream of sha256(SEED)).
function fileBytes (seed, size) {
  const key = crypto.createHash('sha256').update(String(seed)).digest().subarray(0, 16)
  const c = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()])
}

const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000

// One tab-separated line per entry below DIR (recursive), sorted:
//   path type mode size blocks offset byteOffset mtime ctime uid gid sha256 link xattrs
// type: '-' file, 'l' symlink, 'd' directory with its own trie node. A directory that exists
// only through its descendants is "path d mode *": its other fields are not compared, because
// the reference copies them from its first child while hypermount keeps a clean Stat.
// xattrs: "name=hex,..." sorted by name, '-' if none; removed (value-less) entries are left out.
async function manifest (drive, dir = '/') {
  const lines = []
  const names = await call(drive, 'readdir', dir)
  for (const name of names) {
    const path = dir === '/' ? '/' + name : dir + '/' + name
    const st = await call(drive, 'lstat', path)
    const fmt = st.mode & S_IFMT
    if (fmt === S_IFDIR) {
      const node = await call(drive.db, 'get', path)
      if (node) lines.push(statLine(path, 'd', st, '-'))
      else lines.push([path, 'd', st.mode.toString(8), '*'].join('\t'))
      lines.push(...await manifest(drive, path))
    } else if (fmt === S_IFLNK) {
      lines.push(statLine(path, 'l', st, '-'))
    } else {
      const data = await call(drive, 'readFile', path)
      if (data.length !== st.size) throw new Error(`${path}: readFile gave ${data.length} bytes, stat says ${st.size}`)
      lines.push(statLine(path, '-', st, crypto.createHash('sha256').update(data).digest('hex')))
    }
  }
  if (dir === '/') lines.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  return lines
}

function statLine (path, type, st, sha) {
  const xattrs = Object.entries(st.metadata || {})
    .filter(([, v]) => v !== null && v !== undefined)
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([k, v]) => k + '=' + Buffer.from(v).toString('hex'))
  return [path, type, st.mode.toString(8), st.size, st.blocks, st.offset, st.byteOffset,
    Number(st.mtime), Number(st.ctime), st.uid, st.gid, sha, st.linkname || '-',
    xattrs.length ? xattrs.join(',') : '-'].join('\t')
}

const BIG = 3 * 1024 * 1024 + 123

// Writes the rich drive into an open, writable, empty drive. Returns the versions of interest:
// beforeDelete (todelete.txt and dir/sub/gone.bin present, overwrite.txt is its first version)
// and final.
async function writeRich (drive) {
  await call(drive, 'writeFile', '/readme.txt', Buffer.from('hello drive\n'))
  await call(drive, 'writeFile', '/empty', Buffer.alloc(0))
  await call(drive, 'writeFile', '/big.bin', fileBytes('big', BIG))
  await new Promise((resolve, reject) => { // a file of several chunks of odd sizes
    const ws = drive.createWriteStream('/stream.bin')
    ws.on('error', reject)
    ws.on('finish', resolve)
    const all = fileBytes('stream', 700000 + 1 + 65536 + 2 * 1024 * 1024 + 17)
    let at = 0
    for (const n of [700000, 1, 65536, 2 * 1024 * 1024, 17]) { ws.write(all.subarray(at, at + n)); at += n }
    ws.end()
  })
  await call(drive, 'writeFile', '/dir/sub/deep/file.txt', Buffer.from('deep down\n'))
  await call(drive, 'writeFile', '/dir/ünïcödé 文件.txt', Buffer.from('unicode name\n'))
  await call(drive, 'writeFile', '/dir/with space.txt', Buffer.from('a name with a space\n'))
  await call(drive, 'writeFile', '/日本語/ファイル.md', fileBytes('jp', 4097))
  await call(drive, 'mkdir', '/emptydir')
  await call(drive, 'mkdir', '/dir/made')
  await call(drive, 'symlink', '/dir/sub/deep/file.txt', '/link')
  await call(drive, 'symlink', 'sub/deep', '/dir/rel')
  await call(drive, 'symlink', '/nowhere', '/dangling')
  await call(drive, 'setMetadata', '/readme.txt', 'user.comment', Buffer.from('hello xattr'))
  await call(drive, 'setMetadata', '/readme.txt', 'user.bin', Buffer.from([...Array(256).keys()]))
  await call(drive, 'setMetadata', '/readme.txt', 'user.gone', Buffer.from('soon removed'))
  await call(drive, 'removeMetadata', '/readme.txt', 'user.gone')
  await call(drive, 'setMetadata', '/emptydir', 'user.dir', Buffer.from('on a directory'))
  await call(drive, 'setMetadata', '/link', 'user.onlink', Buffer.from('on a symlink'))
  await call(drive, 'writeFile', '/overwrite.txt', Buffer.from('first version\n'))
  await call(drive, 'writeFile', '/todelete.txt', Buffer.from('short lived\n'))
  await call(drive, 'writeFile', '/dir/sub/gone.bin', fileBytes('gone', 70000))
  await call(drive, 'mkdir', '/tmpdir')
  const beforeDelete = drive.version
  await call(drive, 'unlink', '/todelete.txt')
  await call(drive, 'unlink', '/dir/sub/gone.bin')
  await call(drive, 'rmdir', '/tmpdir')
  await call(drive, 'writeFile', '/overwrite.txt', Buffer.from('second, longer version\n'))
  // A second drive of the same corestore mounted at /mnt, one file written through the mount.
  const sub = new drive.constructor(drive.corestore.namespace('mounted'))
  await call(sub, 'ready')
  await call(sub, 'writeFile', '/inside.txt', Buffer.from('inside the mounted drive\n'))
  await call(sub, 'writeFile', '/sub/deep.bin', fileBytes('mounted', 70001))
  await call(drive, 'mount', '/mnt', sub.key)
  await call(drive, 'writeFile', '/mnt/through.txt', Buffer.from('written through the mount\n'))
  return { beforeDelete, final: drive.version, mounted: sub.key.toString('hex') }
}

// Serves `drive` on 127.0.0.1:PORT (0: any free port), one replication stream per connection
// (drive.replicate(false, { live: true }), i.e. corestore.replicate), with TCP_NODELAY as
// hyperswarm sets it (without it Nagle and delayed ACKs hold most answers 40 ms). Prints
// "listening on 127.0.0.1:PORT", then a line per connection event.
function serveDrive (drive, port) {
  const net = require('net')
  const server = net.createServer((socket) => {
    console.log('connection')
    socket.setNoDelay(true)
    const stream = drive.replicate(false, { live: true })
    stream.on('error', (err) => console.log('stream error ' + err.message))
    socket.on('error', () => {})
    socket.on('close', () => console.log('closed'))
    socket.pipe(stream).pipe(socket)
  })
  server.listen(port, '127.0.0.1', () => {
    console.log('listening on 127.0.0.1:' + server.address().port)
  })
  return server
}

module.exports = { call, arg, fileBytes, manifest, writeRich, serveDrive, BIG }
