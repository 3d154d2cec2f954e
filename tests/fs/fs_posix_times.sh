#!/usr/bin/env bash
# Times, modes and link counts as POSIX has them, through a read-write mount: a directory's mtime
# and ctime move when an entry is added, removed or renamed in or out of it (not when a file in
# it is rewritten); an access time set with utimensat is kept apart from the mtime (and never
# listed as an attribute) and reads leave it alone; ftruncate and writes through an open file
# move mtime and ctime; mode 0000 stays 0000; a directory's link count is 2 + its
# subdirectories. Times are checked against a clock read before each change and an old mtime
# set before it (touch -d), never by waiting. Run as root; the store sits on a small tmpfs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (tmpfs)"

FS=$WORK/fs
S=$FS/store
MNT=$WORK/mnt
T="timeout 60"
store_tmpfs 32m hm-posix-times

OLD=1000000000  # 2001-09-09: an mtime every change must move past
# now_ms : the clock in whole milliseconds (what a drive stores)
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
# time_ms FORMAT PATH : the time %Y (mtime), %Z (ctime) or %X (atime) of PATH in milliseconds
time_ms() {
  local t
  t=$($T stat -c "${1/%?/.3}${1: -1}" "$2" 2>/dev/null) || { echo 0; return; }
  echo "${t/./}"
}
mode() { $T stat -c %a "$1" 2>&1; }
links() { $T stat -c %h "$1" 2>&1; }

new_drive "$S"
mount_drive "$K" "$MNT" "store=$S,default_permissions"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
M=$MNT
$T mkdir "$M/d" "$M/e" && $T sh -c ": >'$M/d/kept'"

# changes DESCRIPTION DIR COMMAND... : sets DIR's mtime to $OLD, runs COMMAND, and checks that
# DIR's mtime and ctime are no earlier than the clock read just before COMMAND
changes() {
  local what=$1 dir=$2 before
  shift 2
  $T touch -m -d "@$OLD" "$dir"
  before=$(now_ms)
  "$@" || fail "$what: the command failed"
  check "$what: mtime of $(basename "$dir") moved" [ "$(time_ms %Y "$dir")" -ge "$before" ]
  check "$what: ctime of $(basename "$dir") moved" [ "$(time_ms %Z "$dir")" -ge "$before" ]
}
changes "mkdir" "$M/d" $T mkdir "$M/d/sub"
changes "create (O_CREAT)" "$M/d" $T sh -c ": >'$M/d/new'"
changes "symlink" "$M/d" $T ln -s new "$M/d/link"
changes "mkfifo (mknod)" "$M/d" $T mkfifo "$M/d/fifo"
changes "unlink" "$M/d" $T rm "$M/d/link"
changes "rmdir" "$M/d" $T rmdir "$M/d/sub"
changes "rename in place" "$M/d" $T mv "$M/d/new" "$M/d/renamed"
changes "rename out: the old directory" "$M/d" $T mv "$M/d/renamed" "$M/e/moved"
changes "rename in: the new directory" "$M/d" $T mv "$M/e/moved" "$M/d/back"
$T touch -m -d "@$OLD" "$M/d"
$T sh -c "echo rewritten >'$M/d/kept'"
check_eq "rewriting a file leaves its directory's mtime alone" "$OLD" "$($T stat -c %Y "$M/d")"

# access time: kept apart from the mtime, across a remount, not changed by reads, not an attribute
$T sh -c "echo some bytes >'$M/d/f'"
check_eq "without an access time set, atime = mtime" "$($T stat -c %Y "$M/d/f")" "$($T stat -c %X "$M/d/f")"
$T touch -a -d @1900000000 "$M/d/f"
$T touch -m -d @1950000000 "$M/d/f"
check_eq "touch -a then touch -m: atime and mtime each as set" "1900000000 1950000000" "$($T stat -c '%X %Y' "$M/d/f")"
$T cat "$M/d/f" >/dev/null
check_eq "a read leaves atime alone" "1900000000" "$($T stat -c %X "$M/d/f")"
check_eq "the access time is no extended attribute" "[]" \
  "$($T python3 -c 'import os, sys; print(os.listxattr(sys.argv[1]))' "$M/d/f" 2>&1)"
before=$(now_ms)
$T touch -a "$M/d/f"
check "touch -a (now): atime is now" [ "$(time_ms %X "$M/d/f")" -ge "$before" ]
check_eq "touch -a (now): mtime stays" "1950000000" "$($T stat -c %Y "$M/d/f")"
$T touch -a -d @1900000000 "$M/d/f"

# ftruncate and write through an open file: mtime and ctime move, seen before and after close
$T touch -m -d "@$OLD" "$M/d/kept"
before=$(now_ms)
seen=$($T python3 - "$M/d/kept" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.ftruncate(fd, 123)
st = os.fstat(fd)
print(st.st_size, st.st_mtime_ns // 1000000, st.st_ctime_ns // 1000000)
os.close(fd)
EOF
)
read -r size mtime ctime <<<"$seen"
check_eq "ftruncate: fstat of the open file shows the new size" 123 "$size"
check "ftruncate: fstat of the open file shows a new mtime and ctime" [ "${mtime:-0}" -ge "$before" ] && [ "${ctime:-0}" -ge "$before" ]
check "ftruncate: after close, the new mtime" [ "$(time_ms %Y "$M/d/kept")" -ge "$before" ]
check "ftruncate: after close, the new ctime" [ "$(time_ms %Z "$M/d/kept")" -ge "$before" ]
$T touch -m -d "@$OLD" "$M/d/kept"
before=$(now_ms)
seen=$($T python3 - "$M/d/kept" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"written through a descriptor")
st = os.stat(sys.argv[1])
print(st.st_mtime_ns // 1000000)
os.close(fd)
EOF
)
check "write: stat before close shows a new mtime" [ "${seen:-0}" -ge "$before" ]
check "write: after close (committed), the new mtime" [ "$(time_ms %Y "$M/d/kept")" -ge "$before" ]
check "write: after close (committed), the new ctime" [ "$(time_ms %Z "$M/d/kept")" -ge "$before" ]

# mode 0000 at creation stays 0000 (a mode of 0 would otherwise take the default)
$T python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0))' "$M/d/zero"
check_eq "open(O_CREAT, 0000): mode 0" "0" "$(mode "$M/d/zero")"
$T mkdir -m 0 "$M/d/zerodir"
check_eq "mkdir -m 0: mode 0" "0" "$(mode "$M/d/zerodir")"
$T mkfifo -m 0 "$M/d/zerofifo"
check_eq "mkfifo -m 0: mode 0" "0" "$(mode "$M/d/zerofifo")"

# link counts: 2 + subdirectories, the same from stat and from a listing (ls -l)
$T mkdir -p "$M/n/a" "$M/n/b/c" && $T sh -c ": >'$M/n/file'"
check_eq "a directory with 2 subdirectories (and a file) has 4 links" 4 "$(links "$M/n")"
check_eq "ls -l of its parent says 4 too" 4 "$($T ls -l "$M" | awk '$NF == "n" { print $2 }')"
check_eq "an empty directory has 2 links" 2 "$(links "$M/n/a")"
$T rmdir "$M/n/a"
check_eq "rmdir of a subdirectory: 3 links" 3 "$(links "$M/n")"
$T mv "$M/n/b" "$M/e/b"
check_eq "a subdirectory renamed away: 2 links left" 2 "$(links "$M/n")"
check_eq "... and its new directory counts it" 3 "$(links "$M/e")"

unmount_checked "$MNT"
mount_drive "$K" "$MNT" "store=$S,default_permissions"
check_eq "remount exits 0 ($(msg))" 0 "$RC"
check_eq "after a remount: atime and mtime as set" "1900000000 1950000000" "$($T stat -c '%X %Y' "$M/d/f")"
check_eq "after a remount: mode 0 kept" "0 0 0" "$(mode "$M/d/zero") $(mode "$M/d/zerodir") $(mode "$M/d/zerofifo")"
check_eq "after a remount: link counts" "2 3" "$(links "$M/n") $(links "$M/e")"
unmount_checked "$MNT"
finish
