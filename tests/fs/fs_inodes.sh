#!/usr/bin/env bash
# An inode is a file, not a path: a descriptor stays on the file it opened across a rename of
# its name or of a folder above it, and across unlink (it keeps reading its old bytes, and its
# writes are dropped at close without touching a new file made at that name), as on ext4; a
# file replaced by `mv new old` stays open as it was. stat gives the same inode number to the
# same file (across a rename, and after the kernel forgot it) and another to a new file at a
# reused name. The store sits on a small tmpfs this test mounts.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

FS=$WORK/fs
S=$FS/store
MNT=$WORK/mnt
T="timeout 60"
store_tmpfs 64m hm-inodes

new_drive "$S"
mount_drive "$K" "$MNT" "store=$S"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }

# descriptors CASE : runs one descriptor scenario in python on the mount; prints "ok" or what
# went wrong
descriptors() {
  $T python3 - "$MNT" "$1" <<'PYEOF'
import os, sys
mnt, case = sys.argv[1], sys.argv[2]
def p(name): return os.path.join(mnt, name)
def put(name, data):
    with open(p(name), "wb") as f: f.write(data)
def get(name):
    with open(p(name), "rb") as f: return f.read()
def expect(what, want, got):
    if want != got:
        print(f"{what}: expected {want[:40]!r}, got {got[:40]!r}"); sys.exit(1)
def pread_all(fd, size):
    return os.pread(fd, size, 0)

if case == "unlink_read":
    # 2 MiB: more than one content block, read after the name is gone
    old = os.urandom(2 << 20)
    put("a", old)
    fd = os.open(p("a"), os.O_RDONLY)
    os.unlink(p("a"))
    put("a", b"a new file\n")
    expect("old descriptor after unlink and re-create", old, pread_all(fd, len(old) + 10))
    st = os.fstat(fd)
    expect("fstat nlink of the unlinked file", 0, st.st_nlink)
    expect("fstat size of the unlinked file", len(old), st.st_size)
    if st.st_ino == os.stat(p("a")).st_ino:
        print("the re-created name has the unlinked file's inode number"); sys.exit(1)
    os.close(fd)
    expect("the new file at the name", b"a new file\n", get("a"))
elif case == "unlink_write":
    put("b", b"b as it was\n")
    fd = os.open(p("b"), os.O_RDWR)
    os.unlink(p("b"))
    put("b", b"b made anew\n")
    os.pwrite(fd, b"written after unlink", 0)
    expect("the unlinked file reads its own write", b"written after unlink", pread_all(fd, 100))
    os.ftruncate(fd, 7)
    expect("fstat size after ftruncate of the unlinked file", 7, os.fstat(fd).st_size)
    expect("fstat nlink of the unlinked file", 0, os.fstat(fd).st_nlink)
    os.fsync(fd)
    os.close(fd)
    expect("the new file at the name after the unlinked one closed", b"b made anew\n", get("b"))
elif case == "rename_write":
    os.mkdir(p("d"))
    fd = os.open(p("c"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"first ")
    ino = os.fstat(fd).st_ino
    os.rename(p("c"), p("d/c2"))
    os.write(fd, b"second\n")
    os.close(fd)
    expect("content at the new name after close", b"first second\n", get("d/c2"))
    if os.path.exists(p("c")): print("the old name came back at close"); sys.exit(1)
    expect("inode number across rename", ino, os.stat(p("d/c2")).st_ino)
    # a folder above an open file renamed
    os.mkdir(p("e"))
    put("e/f", b"in e\n")
    fd = os.open(p("e/f"), os.O_WRONLY | os.O_APPEND)
    os.rename(p("e"), p("e2"))
    os.write(fd, b"appended after the folder moved\n")
    os.close(fd)
    expect("content under the renamed folder", b"in e\nappended after the folder moved\n", get("e2/f"))
    if os.path.exists(p("e")): print("the old folder came back at close"); sys.exit(1)
elif case == "replace_open":
    put("g", b"g old\n")
    rfd = os.open(p("g"), os.O_RDONLY)
    wfd = os.open(p("g"), os.O_WRONLY)
    ino = os.fstat(rfd).st_ino
    put("h", b"h replaces g\n")
    h_ino = os.stat(p("h")).st_ino
    os.rename(p("h"), p("g"))
    expect("the replaced file reads as before", b"g old\n", pread_all(rfd, 100))
    expect("the replaced file keeps its inode number", ino, os.fstat(rfd).st_ino)
    expect("the replaced file has no links", 0, os.fstat(rfd).st_nlink)
    expect("the file moved over it keeps its number", h_ino, os.stat(p("g")).st_ino)
    os.write(wfd, b"dropped")
    os.close(wfd)
    os.close(rfd)
    expect("the name holds the moved file", b"h replaces g\n", get("g"))
elif case == "reopen_unlinked":
    put("r", b"reopen me\n")
    fd = os.open(p("r"), os.O_RDONLY)
    os.unlink(p("r"))
    # /proc/self/fd opens the inode itself, not the (gone) name
    fd2 = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
    expect("reopened through /proc", b"reopen me\n", pread_all(fd2, 100))
    os.close(fd2)
    os.close(fd)
elif case == "numbers":
    put("i", b"i\n")
    ino = os.stat(p("i")).st_ino
    os.rename(p("i"), p("j"))
    expect("inode number across rename", ino, os.stat(p("j")).st_ino)
    put("k", b"k\n")
    k1 = os.stat(p("k")).st_ino
    os.unlink(p("k"))
    put("k", b"k\n")
    if os.stat(p("k")).st_ino == k1:
        print("a re-created name kept the old file's inode number"); sys.exit(1)
    names = {e.name: e.inode() for e in os.scandir(mnt)}
    for name, d_ino in names.items():
        expect(f"readdir d_ino of {name} is its st_ino", os.lstat(p(name)).st_ino, d_ino)
else:
    print("no such case " + case); sys.exit(2)
print("ok")
PYEOF
}

for c in unlink_read unlink_write rename_write replace_open reopen_unlinked numbers; do
  check_eq "descriptors: $c" ok "$(descriptors "$c" 2>&1 | tail -n 3)"
done

# ls -i twice, and again after the kernel dropped its cached entries (it forgets the inodes and
# looks them up anew): the same numbers
ls_i() { $T ls -iR "$MNT"; }
ls_i >"$WORK/ls1"
ls_i >"$WORK/ls2"
check_files "ls -i twice gives the same numbers" "$WORK/ls1" "$WORK/ls2"
if [ -w /proc/sys/vm/drop_caches ]; then
  sync
  echo 2 >/proc/sys/vm/drop_caches
  ls_i >"$WORK/ls3"
  check_files "ls -i after the kernel forgot the inodes gives the same numbers" "$WORK/ls1" "$WORK/ls3"
fi

# what the drive holds, after a remount
unmount_checked "$MNT"
mount_drive "$K" "$MNT" "store=$S"
check_eq "remount exits 0 ($(msg))" 0 "$RC"
check_eq "a after remount" "a new file" "$($T cat "$MNT/a")"
check_eq "b after remount" "b made anew" "$($T cat "$MNT/b")"
check_eq "d/c2 after remount" "first second" "$($T cat "$MNT/d/c2")"
check_eq "e2/f after remount" "in e
appended after the folder moved" "$($T cat "$MNT/e2/f")"
check_eq "g after remount" "h replaces g" "$($T cat "$MNT/g")"
check_eq "names after remount" "a b d e2 g j k" "$($T ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
finish
