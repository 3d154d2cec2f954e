# make_tree DIR : a folder tree with every file type a drive keeps (sourced by fs_files.sh and
# fs_sync.sh; not a test itself): files of several sizes (empty, one block, several blocks),
# odd permissions, set mtimes, symlinks (relative, absolute, dangling), user.* attributes on
# files and folders, empty folders (nested too), a FIFO, a socket and (as root) a device.
make_tree() {
  local d=$1
  mkdir -p "$d/docs/deep/er" "$d/empty" "$d/nested-empty/inner" "$d/with space"
  printf 'hello\n' >"$d/hello.txt"
  : >"$d/empty.txt"
  head -c 700000 /dev/urandom >"$d/docs/two-blocks.bin"
  head -c 3000000 /dev/urandom >"$d/docs/deep/er/six-blocks.bin"
  printf 'ünïcödé\n' >"$d/with space/naïve file.txt"
  for i in $(seq 1 40); do printf 'file %d\n' "$i" >"$d/docs/deep/f$i.txt"; done
  chmod 0600 "$d/hello.txt"; chmod 0750 "$d/docs"; chmod 0000 "$d/empty.txt"; chmod 4755 "$d/docs/two-blocks.bin"
  ln -s hello.txt "$d/link-rel"
  ln -s /nowhere/at/all "$d/link-dangling"
  ln -s docs "$d/link-dir"
  python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.color", b"blue"); os.setxattr(sys.argv[2], "user.tag", b"\x00\x01bin")' \
    "$d/hello.txt" "$d/docs"
  mkfifo "$d/docs/fifo"
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$d/docs/sock"
  [ "$(id -u)" -eq 0 ] && mknod "$d/null-dev" c 1 3
  # times last (children change their folder's mtime), folders after their contents
  find "$d" -mindepth 1 -not -type l -exec touch -h -d '2021-03-04 05:06:07.891' {} +
  find "$d" -mindepth 1 -type l -exec touch -h -d '2020-01-02 03:04:05.678' {} +
  touch -d '2019-05-06 07:08:09.123' "$d/docs/deep" "$d/empty"
}

# verify_store STORE : `core verify` of every core in the store (a folder holding a bitfield)
verify_store() {
  local f ok=0
  while IFS= read -r f; do
    "$HYPERMOUNT" core verify "$(dirname "$f")" >/dev/null 2>"$WORK/verify.err" ||
      { echo "core $(dirname "$f") does not verify: $(head -c 200 "$WORK/verify.err")"; ok=1; }
  done < <(find "$1" -name bitfield)
  return $ok
}
