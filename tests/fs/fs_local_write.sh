#!/usr/bin/env bash
# Writing through a read-write mount of an own (writable) drive: new files, appends, writes in
# the middle, truncate, folders, symlinks, renames (files, folders, save-through-rename), removal,
# xattrs, chmod, cp -a of a tree; everything checked again after a remount and with `drive cat`.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
command -v setfattr >/dev/null && command -v getfattr >/dev/null || skip "setfattr/getfattr (attr) is not installed"

S1=$WORK/S1
MNT=$WORK/mnt
EXP=$WORK/expected   # what the drive should hold, built with the same tools on a local folder
mkdir -p "$EXP"
T="timeout 60"

new_drive "$S1"
echo "already here" | timeout 60 "$HYPERMOUNT" drive put "$K" /old.txt --store "$S1" || fail "put /old.txt"
printf 'already here\n' >"$EXP/old.txt"

mount_drive "$K" "$MNT" "store=$S1"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
mopts=$(grep " $MNT " /proc/mounts | cut -d' ' -f4)
check_eq "/proc/mounts first option is rw" "rw" "${mopts%%,*}"

# apply CMD... : runs the shell command line CMD with D=the mount, then with D=the expected folder
apply() {
  local rc=0
  $T env D="$MNT" bash -c "$1" || rc=$?
  env D="$EXP" bash -c "$1" >/dev/null 2>&1
  [ "$rc" -eq 0 ] || fail "on the mount: $1 (exit $rc)"
}

# new file, read back
apply 'echo "hello mount" > "$D/new.txt"'
check_eq "cat a new file" "hello mount" "$($T cat "$MNT/new.txt" 2>&1)"
check_eq "cat an old file" "already here" "$($T cat "$MNT/old.txt" 2>&1)"
# append
apply 'echo "second line" >> "$D/new.txt"'
check_eq "append with >>" "$(printf 'hello mount\nsecond line')" "$($T cat "$MNT/new.txt" 2>&1)"
apply 'echo "appended to old" >> "$D/old.txt"'
check_files "append to a file written before the mount" "$EXP/old.txt" "$MNT/old.txt"
# write in the middle
apply 'head -c 200000 /dev/zero | tr "\0" "a" > "$D/big.txt"'
apply 'printf MIDDLE | dd of="$D/big.txt" bs=1 seek=100000 conv=notrunc status=none'
check_files "dd conv=notrunc in the middle" "$EXP/big.txt" "$MNT/big.txt"
check_eq "size after dd in the middle" "200000" "$(stat -c %s "$MNT/big.txt")"
apply 'printf END | dd of="$D/big.txt" bs=1 seek=200010 conv=notrunc status=none'
check_files "dd past the end (a hole of zeros)" "$EXP/big.txt" "$MNT/big.txt"
check_eq "open O_CREAT|O_EXCL on an existing file is EEXIST" "EEXIST" "$(errno_of open_excl "$MNT/new.txt")"
check_eq "open O_CREAT on an existing file keeps its content" "OK" "$(errno_of open_creat "$MNT/new.txt")"
check_eq "... content kept" "$(printf 'hello mount\nsecond line')" "$($T cat "$MNT/new.txt" 2>&1)"
# truncate
apply 'truncate -s 1000 "$D/big.txt"'
check_eq "truncate -s 1000: size" "1000" "$(stat -c %s "$MNT/big.txt")"
check_files "truncate -s 1000: content" "$EXP/big.txt" "$MNT/big.txt"
apply 'truncate -s 5000 "$D/big.txt"'
check_files "truncate -s 5000 (grow with zeros)" "$EXP/big.txt" "$MNT/big.txt"
apply 'printf "0123456789" > "$D/t.txt"; truncate -s 4 "$D/t.txt"'
check_eq "truncate a closed file" "0123" "$($T cat "$MNT/t.txt")"
# an overwrite shrinks the file
apply 'echo "short" > "$D/old.txt"'
check_eq "overwrite with > shrinks" "short" "$($T cat "$MNT/old.txt")"

# folders
apply 'mkdir "$D/dir" && mkdir -p "$D/dir/sub/deeper" && echo inside > "$D/dir/sub/f.txt"'
check_eq "mkdir: a folder" "directory" "$(stat -c %F "$MNT/dir/sub/deeper")"
check_eq "mkdir on an existing folder is EEXIST" "EEXIST" "$(errno_of mkdir "$MNT/dir")"
check_eq "rmdir a non-empty folder is ENOTEMPTY" "ENOTEMPTY" "$(errno_of rmdir "$MNT/dir/sub")"
check_eq "rmdir a file is ENOTDIR" "ENOTDIR" "$(errno_of rmdir "$MNT/new.txt")"
check_eq "unlink a folder is EISDIR" "EISDIR" "$(errno_of unlink "$MNT/dir")"
apply 'rmdir "$D/dir/sub/deeper"'
check "rmdir an empty folder" bash -c "[ ! -e '$MNT/dir/sub/deeper' ]"
check_eq "unlink a missing file is ENOENT" "ENOENT" "$(errno_of unlink "$MNT/nope")"

# symlinks
apply 'ln -s new.txt "$D/link" && ln -s ../../new.txt "$D/dir/sub/uplink"'
check_eq "readlink" "new.txt" "$($T readlink "$MNT/link")"
check_eq "cat through a new symlink" "hello mount" "$($T head -n1 "$MNT/dir/sub/uplink")"
check_eq "a hard link is EPERM" "EPERM" "$(errno_of link "$MNT/new.txt" "$MNT/hard")"

# rename
apply 'echo "to move" > "$D/m1.txt" && mv "$D/m1.txt" "$D/dir/m2.txt"'
check_eq "mv a file: new name" "to move" "$($T cat "$MNT/dir/m2.txt" 2>&1)"
check_eq "mv a file: old name gone" "ENOENT" "$(errno_of stat "$MNT/m1.txt")"
apply 'echo "replaced" > "$D/r1.txt" && echo "victim" > "$D/r2.txt" && mv -f "$D/r1.txt" "$D/r2.txt"'
check_eq "mv over an existing file" "replaced" "$($T cat "$MNT/r2.txt" 2>&1)"
apply 'mkdir -p "$D/tree/a/b" && echo x > "$D/tree/a/b/x.txt" && echo y > "$D/tree/y.txt" && mv "$D/tree" "$D/moved-tree"'
check_eq "mv a folder tree: file below" "x" "$($T cat "$MNT/moved-tree/a/b/x.txt" 2>&1)"
check_eq "mv a folder tree: old gone" "ENOENT" "$(errno_of stat "$MNT/tree")"
check_eq "rename a folder over a non-empty folder is ENOTEMPTY" "ENOTEMPTY" \
  "$(errno_of rename "$MNT/moved-tree/a" "$MNT/dir")"
# save through a temp file and rename, as editors do
apply 'python3 - "$D" <<"PY"
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "doc.txt"), "w") as f: f.write("version 1\n")
with open(os.path.join(d, ".doc.txt.tmp"), "w") as f:
    f.write("version 2, saved atomically\n"); f.flush(); os.fsync(f.fileno())
os.rename(os.path.join(d, ".doc.txt.tmp"), os.path.join(d, "doc.txt"))
PY'
check_eq "save through temp file + rename" "version 2, saved atomically" "$($T cat "$MNT/doc.txt" 2>&1)"
check_eq "temp file gone after rename" "ENOENT" "$(errno_of stat "$MNT/.doc.txt.tmp")"

# rm
apply 'echo bye > "$D/gone.txt" && rm "$D/gone.txt"'
check_eq "rm a file" "ENOENT" "$(errno_of stat "$MNT/gone.txt")"
apply 'echo back > "$D/gone.txt"'
check_eq "a file made again after rm" "back" "$($T cat "$MNT/gone.txt")"

# xattrs and chmod
apply 'setfattr -n user.color -v red "$D/new.txt" && setfattr -n user.temp -v x "$D/new.txt" && setfattr -x user.temp "$D/new.txt"'
check_eq "setfattr/getfattr" "red" "$($T getfattr --absolute-names --only-values -n user.color "$MNT/new.txt" 2>&1)"
check_eq "removed attribute is ENODATA" "ENODATA" "$(errno_of getxattr "$MNT/new.txt" user.temp)"
check_eq "removexattr of a missing attribute is ENODATA" "ENODATA" "$(errno_of removexattr "$MNT/new.txt" user.none)"
apply 'chmod 600 "$D/new.txt" && chmod 750 "$D/dir"'
check_eq "chmod a file" "600" "$(stat -c %a "$MNT/new.txt")"
check_eq "chmod a folder" "750" "$(stat -c %a "$MNT/dir")"
apply 'echo more >> "$D/new.txt"'
check_eq "a write keeps the mode" "600" "$(stat -c %a "$MNT/new.txt")"
check_eq "a write keeps the xattr" "red" "$($T getfattr --absolute-names --only-values -n user.color "$MNT/new.txt" 2>&1)"
apply 'touch -d "2001-02-03 04:05:06 UTC" "$D/t.txt"'
check_eq "touch -d sets mtime" "981173106" "$(stat -c %Y "$MNT/t.txt")"
apply 'echo "to be emptied" > "$D/emptied.txt"'
apply ': > "$D/emptied.txt"'
check_eq "an open with O_TRUNC and no write empties the file (: > file)" "0" "$(stat -c %s "$MNT/emptied.txt")"
# >> appends in place: a line added to a 20 MiB file costs the line, not another 20 MiB
head -c $((20 << 20)) /dev/urandom >"$WORK/log.src"
apply 'cp "'"$WORK/log.src"'" "$D/log"'
grown_from=$(du -sb --apparent-size "$S1" | cut -f1)
started=$(date +%s%N)
for i in $(seq 10); do apply "echo 'line $i' >> \"\$D/log\""; done
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
grew=$(( $(du -sb --apparent-size "$S1" | cut -f1) - grown_from ))
check "10 lines appended with >> to a 20 MiB file grow the store by under 1 MiB (grew $grew bytes; $took_ms ms for both copies)" \
  [ "$grew" -lt 1048576 ]
check_files "the appended file reads back" "$EXP/log" "$MNT/log"
apply 'printf "HEAD" | dd of="$D/log" bs=1 seek=100 conv=notrunc status=none'
check_files "a write into the old bytes after appends" "$EXP/log" "$MNT/log"

# cp -a of a folder tree
TREE=$WORK/tree
mkdir -p "$TREE/a/b/c" "$TREE/empty"
printf 'one\n' >"$TREE/one.txt"
head -c 1500000 /dev/urandom >"$TREE/a/random.bin"
printf 'deep\n' >"$TREE/a/b/c/deep.txt"
ln -s ../one.txt "$TREE/a/link"
: >"$TREE/a/b/empty.txt"
apply "cp -a '$TREE' \"\$D/copied\""
check "cp -a a tree in, diff -r" $T diff -r "$TREE" "$MNT/copied"
check_eq "cp -a kept a symlink" "../one.txt" "$($T readlink "$MNT/copied/a/link")"

check_files "the whole tree matches the expected folder" <(tree_list "$EXP") \
  <($T bash -c "$(declare -f tree_list); tree_list '$MNT'")
check_files "every file matches the expected folder" <(snapshot "$EXP") \
  <($T bash -c "$(declare -f snapshot); snapshot '$MNT'")

# A file larger than the mount process may hold in memory: staged on disk and appended to
# the drive piece by piece, so the peak RSS stays far below the file's size.
BIG_MIB=256
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/large.bin"
# close() of a file written through the mount waits for the commit (FUSE flush); while it does,
# the mount answers others. The file is written out of order (its first MiB last), so it is
# staged and committed whole at close (written in order, it would be appended as it is written,
# leaving the close nothing long to do). A copier writes the file, closes it on a thread of its
# own, waits until that thread is inside close(2), asks the mount a stat, a cat and an xattr
# (the kernel may answer the first two from its caches, never the xattr), then looks whether the
# close still runs.
order=$(timeout 300 python3 - "$WORK/large.bin" "$MNT" <<'PY'
import os, sys, threading
src, mnt = sys.argv[1], sys.argv[2]
fd = os.open(f"{mnt}/large.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
with open(src, "rb") as f:
    first = f.read(1 << 20)
    at = len(first)
    while chunk := f.read(1 << 20):
        os.pwrite(fd, chunk, at)
        at += len(chunk)
    os.pwrite(fd, first, 0)
closer_tid = None
closed = None
def close_it():
    global closer_tid, closed
    closer_tid = threading.get_native_id()
    try:
        os.close(fd)
        closed = "ok"
    except OSError as e:
        closed = f"close failed: {e}"
closer = threading.Thread(target=close_it)
closer.start()
def in_close():  # close(2) on x86-64, of that descriptor
    try:
        call = open(f"/proc/self/task/{closer_tid}/syscall").read().split()
        return call[0] == "3" and int(call[1], 16) == fd
    except (OSError, IndexError, ValueError, TypeError):
        return False
while closer.is_alive() and not in_close():
    pass
if not closer.is_alive():
    print("the close ended before it was seen"); sys.exit()
size = os.stat(f"{mnt}/new.txt").st_size
data = open(f"{mnt}/new.txt", "rb").read()
version = os.getxattr(mnt, "user.hypermount.version").decode()
during = closer.is_alive()
closer.join()
print(f"answered {'during' if during else 'after'} the commit: stat {size}, cat {len(data)} bytes, version {version}; {closed}")
PY
)
check_eq "stat, cat and the version xattr answered while the $BIG_MIB MiB commit ran ($order)" during \
  "$(echo "$order" | sed -n 's/^answered \([a-z]*\) the commit.*/\1/p')"
check_eq "the $BIG_MIB MiB file was written and closed" ok "${order##*; }"
check_eq "the $BIG_MIB MiB file reads back" "$(sha256sum <"$WORK/large.bin")" "$(timeout 300 sha256sum <"$MNT/large.bin")"
peak_kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$(mount_pid "$MNT")/status")
if [ -n "$peak_kib" ] && [ "$peak_kib" -lt $((BIG_MIB * 1024 / 2)) ]; then
  pass "peak RSS of the mount process after writing $BIG_MIB MiB: $((peak_kib / 1024)) MiB"
else
  fail "peak RSS of the mount process after writing $BIG_MIB MiB: '$peak_kib' KiB (want < half the file)"
fi

# remount: everything persisted
unmount_checked "$MNT"
hm_ok drive cat "$K" /new.txt --store "$S1"
check_files "drive cat shows the written bytes" "$EXP/new.txt" "$WORK/out"
hm_ok drive cat "$K" /big.txt --store "$S1"
check_files "drive cat of the dd-edited file" "$EXP/big.txt" "$WORK/out"
hm_ok drive cat "$K" /copied/a/random.bin --store "$S1"
check_files "drive cat of a copied binary" "$TREE/a/random.bin" "$WORK/out"
hm_ok drive cat "$K" /large.bin --store "$S1"
check_files "drive cat of the $BIG_MIB MiB file" "$WORK/large.bin" "$WORK/out"
rm -f "$WORK/out" "$WORK/large.bin"
hm_ok drive rm "$K" /large.bin --store "$S1"  # the expected folder does not hold it

mount_drive "$K" "$MNT" "store=$S1"
check_eq "remount exits 0 ($(msg))" 0 "$RC"
check_files "after remount: the tree" <(tree_list "$EXP") \
  <($T bash -c "$(declare -f tree_list); tree_list '$MNT'")
check_files "after remount: every file" <(snapshot "$EXP") \
  <($T bash -c "$(declare -f snapshot); snapshot '$MNT'")
check_eq "after remount: xattr" "red" "$($T getfattr --absolute-names --only-values -n user.color "$MNT/new.txt" 2>&1)"
check_eq "after remount: mode" "600" "$(stat -c %a "$MNT/new.txt")"
check_eq "after remount: symlink" "new.txt" "$($T readlink "$MNT/link")"
check_eq "after remount: mtime" "981173106" "$(stat -c %Y "$MNT/t.txt")"
check "after remount: cp -a tree, diff -r" $T diff -r "$TREE" "$MNT/copied"
check "fusermount3 -u at the end" timeout 20 fusermount3 -u "$MNT"

# -o ro keeps a writable drive read-only
mount_drive "$K" "$MNT" "store=$S1,ro"
check_eq "mount -o ro exits 0" 0 "$RC"
check_eq "-o ro: creating a file is EROFS" "EROFS" "$(errno_of open_creat "$MNT/x.txt")"
check "fusermount3 -u after -o ro" timeout 20 fusermount3 -u "$MNT"
finish
