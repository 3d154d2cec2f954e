#!/usr/bin/env bash
# Every file type and its owner through a read-write mount (allow_other, default_permissions):
# a FIFO passes bytes between two processes, a UNIX socket binds and accepts, character and block
# devices keep their numbers across a remount and never open (the mount is nodev), entries belong
# to the user who made them, and chown and writes by other users clear the set-ID bits as ext4
# does. Run as root; the other user is uid/gid 1000. The store sits on a small tmpfs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (tmpfs, mknod, another user)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
PY=/usr/bin/python3  # the other user cannot reach a python under root's home
[ -x "$PY" ] || skip "$PY is missing"

FS=$WORK/fs
S=$FS/store
MNT=$WORK/mnt
T="timeout 60"
store_tmpfs 32m hm-filetypes
chmod 755 "$WORK"  # the other user walks to the mount through it

# as_user COMMAND... : runs COMMAND as uid 1000, gid 1000, no supplementary groups
as_user() { timeout 60 setpriv --reuid=1000 --regid=1000 --clear-groups -- env PATH=/usr/bin:/bin "$@"; }
# user_errno OP PATH [ARG] : errno_of (common.sh) run as the other user
user_errno() { as_user bash -c "$(declare -f errno_of); errno_of \"\$@\"" errno_of "$@"; }
kind() { $T stat -c %F "$1" 2>&1; }
mode() { $T stat -c %a "$1" 2>&1; }
owner() { $T stat -c %u:%g "$1" 2>&1; }
numbers() { $T stat -c '%Hr:%Lr' "$1" 2>&1; }

new_drive "$S"
mount_drive "$K" "$MNT" "store=$S,allow_other,default_permissions"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
M=$MNT
check "the mount is nosuid and nodev" grep -q " $MNT fuse[^ ]* [^ ]*nosuid,nodev" /proc/mounts

# FIFO: two processes pass bytes through it (each open waits for the other: no sleep needed)
$T mkfifo -m 0640 "$M/fifo"
check_eq "mkfifo: a FIFO" "fifo" "$(kind "$M/fifo")"
check_eq "mkfifo: its mode" "640" "$(mode "$M/fifo")"
$T sh -c "printf 'through the pipe' >'$M/fifo'" & WRITER=$!
check_eq "bytes pass through the FIFO" "through the pipe" "$($T cat "$M/fifo")"
wait "$WRITER"; check_eq "the FIFO's writer exits 0" 0 "$?"

# UNIX socket: a server binds it in the mount (mknod S_IFSOCK), a second process connects
mkfifo "$WORK/ready"
$T "$PY" - "$M/sock" "$WORK/ready" >"$WORK/server.out" 2>&1 <<'EOF' & SERVER=$!
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
with open(sys.argv[2], "w") as ready:  # a FIFO: the test waits on it
    ready.write("listening\n")
conn, _ = s.accept()
conn.sendall(b"echo:" + conn.recv(100))
conn.close()
EOF
check_eq "the server binds a socket in the mount" "listening" "$($T cat "$WORK/ready")"
got=$($T "$PY" -c '
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(sys.argv[1])
c.sendall(b"hello")
print(c.recv(100).decode())' "$M/sock" 2>&1)
check_eq "a client talks to it through the mount" "echo:hello" "$got"
wait "$SERVER"; check_eq "the socket server exits 0 ($(head -c 200 "$WORK/server.out"))" 0 "$?"
check_eq "the bound socket is a socket" "socket" "$(kind "$M/sock")"
errno_is ENXIO open_r "$M/sock"

# devices: listed with their numbers, never opened (nodev: EACCES before the file system is asked)
$T mknod -m 0666 "$M/null" c 1 3
$T mknod -m 0660 "$M/disk" b 8 1
check_eq "mknod c: a character device 1:3" "character special file 1:3" "$(kind "$M/null") $(numbers "$M/null")"
check_eq "mknod b: a block device 8:1" "block special file 8:1" "$(kind "$M/disk") $(numbers "$M/disk")"
check_eq "ls -l shows the numbers" "crw-rw-rw- 1, 3" "$($T ls -l "$M/null" | awk '{print $1, $5, $6}')"
errno_is EACCES open_r "$M/null"
errno_is EACCES open_w "$M/disk"
check_eq "the listing has every type" "b disk|c null|d .|p fifo|s sock|" \
  "$(cd "$M" && find . -maxdepth 1 -printf '%y %f|' | tr '|' '\n' | LC_ALL=C sort | tr '\n' '|')"
errno_is EEXIST mkfifo "$M/null"

# ownership: what another user makes is theirs; only root gives files away
mkdir "$M/shared" && chmod 1777 "$M/shared"
as_user sh -c "echo mine >'$M/shared/file' && mkdir '$M/shared/dir' && ln -s file '$M/shared/link' &&
  mkfifo '$M/shared/fifo'"
check_eq "the other user's commands exit 0" 0 "$?"
as_user "$PY" -c 'import os, stat, sys; os.mknod(sys.argv[1], 0o644 | stat.S_IFREG)' "$M/shared/made"
for e in file dir link fifo made; do
  check_eq "$e made by uid 1000 is theirs" "1000:1000" "$(owner "$M/shared/$e")"
done
check_eq "root's entries are root's" "0:0" "$(owner "$M/null")"
check_eq "chown by a non-root owner: EPERM" EPERM "$(user_errno chown "$M/shared/file")"
check_eq "chown of another's file by a non-root user: EPERM" EPERM "$(user_errno chown "$M/fifo")"
check_eq "the owner stays" "1000:1000" "$(owner "$M/shared/file")"
$T chown 1234:5678 "$M/shared/fifo"
check_eq "chown by root" "1234:5678" "$(owner "$M/shared/fifo")"
$T mv "$M/shared/fifo" "$M/shared/moved"
check_eq "rename keeps the owner" "1234:5678" "$(owner "$M/shared/moved")"
$T chmod 600 "$M/shared/moved"
check_eq "chmod keeps the owner" "1234:5678 600" "$(owner "$M/shared/moved") $(mode "$M/shared/moved")"

# set-ID bits: cleared on chown of a regular file (even by root), set-group-ID only with
# group-exec; kept on a directory; cleared by another user's write, kept by root's
setid_file() { printf 'x\n' >"$M/$1" && chmod "$2" "$M/$1"; }
setid_file suid 6755
$T chown 1000:1000 "$M/suid"
check_eq "chown clears set-user-ID and set-group-ID (with g+x)" "755" "$(mode "$M/suid")"
setid_file sgid-nox 2644
$T chown 1000 "$M/sgid-nox"
check_eq "chown keeps set-group-ID without group-exec" "2644" "$(mode "$M/sgid-nox")"
setid_file chgrp 4755
$T chgrp 1000 "$M/chgrp"
check_eq "chgrp clears set-user-ID" "755" "$(mode "$M/chgrp")"
mkdir "$M/sgid-dir" && chmod 2755 "$M/sgid-dir"
$T chown 1000 "$M/sgid-dir"
check_eq "chown of a directory keeps set-group-ID" "2755" "$(mode "$M/sgid-dir")"
setid_file root-writes 4755
$T sh -c "echo more >>'$M/root-writes'"
check_eq "root's write keeps set-user-ID" "4755" "$(mode "$M/root-writes")"
setid_file other-writes 6777
as_user sh -c "echo more >>'$M/other-writes'"
check_eq "another user's write clears set-user-ID and set-group-ID" "777" "$(mode "$M/other-writes")"
check_eq "the write landed" "x|more|" "$(tr '\n' '|' <"$M/other-writes")"
setid_file other-truncates 4777
as_user truncate -s 1 "$M/other-truncates"
check_eq "another user's truncate clears set-user-ID" "777" "$(mode "$M/other-truncates")"

# what the drive holds: `drive ls` and `drive stat` once the store is free, then a remount
unmount_checked "$MNT"
hm_ok drive ls "$K" / --store "$S"
check_eq "drive ls: type letters, device numbers" "b 8, 1 disk|c 1, 3 null|p 0 fifo|s 0 sock|" \
  "$(awk '$NF ~ /^(disk|null|fifo|sock)$/ {print}' "$WORK/out" | tr -s ' ' | LC_ALL=C sort | tr '\n' '|')"
hm_ok drive stat "$K" /null --store "$S"
check_eq "drive stat: the device number and mode" "device: 1:3|mode: 20666|" \
  "$(grep -E '^(device|mode):' "$WORK/out" | LC_ALL=C sort | tr '\n' '|')"
hm drive cat "$K" /fifo --store "$S"
check "drive cat of a FIFO fails, saying why ($(msg))" bash -c "[ $RC -ne 0 ] && grep -q 'not a regular file' '$WORK/err'"
mount_drive "$K" "$MNT" "store=$S,allow_other,default_permissions"
check_eq "remount exits 0 ($(msg))" 0 "$RC"
check_eq "after a remount: the devices and their numbers" \
  "character special file 1:3 block special file 8:1" \
  "$(kind "$M/null") $(numbers "$M/null") $(kind "$M/disk") $(numbers "$M/disk")"
check_eq "after a remount: FIFO, socket" "fifo socket" "$(kind "$M/fifo") $(kind "$M/sock")"
check_eq "after a remount: owners and modes" "1000:1000 1234:5678 755 2644" \
  "$(owner "$M/shared/file") $(owner "$M/shared/moved") $(mode "$M/suid") $(mode "$M/sgid-nox")"
unmount_checked "$MNT"
finish
