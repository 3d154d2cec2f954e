#!/usr/bin/env bash
# A drive is served while it is mounted: a read-write mount with -o listen= accepts peers, which
# read what was written through it, live. The store's other users get a clear message: `drive
# serve` of the mounted drive and a second mount of it name the mount's process, and a second
# mount on the same folder is refused. The writer's store sits on a 64 MiB tmpfs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

FS=$WORK/fs
S=$FS/store
S2=$WORK/s2
MNT=$WORK/mnt
MNT2=$WORK/mnt2
T="timeout 60"
store_tmpfs 64m hm-serves

new_drive "$S"
mount_fg "hyper://$K" "$MNT" "store=$S,listen=127.0.0.1:0" || finish
wait_until 10 grep -q '^listening on 127\.0\.0\.1:[0-9]' "$MNT.out" || { fail "no port: $(head -c 300 "$MNT.err")"; finish; }
PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$MNT.out")

printf 'written through the mount\n' >"$MNT/hello.txt"
head -c 3000000 /dev/urandom >"$WORK/big"
check "cp into the writer's mount" $T cp "$WORK/big" "$MNT/big.bin"
hm drive cat "$K" /hello.txt --store "$S2" --peer "127.0.0.1:$PORT"
check_eq "a peer reads a file written through the mount ($(msg))" "written through the mount" "$(cat "$WORK/out")"

mount_drive "hyper://$K" "$MNT2" "store=$S2,peer=127.0.0.1:$PORT"
check_eq "a reader mounts it from the writer's mount ($(msg))" 0 "$RC"
check "the reader reads the big file" cmp -s "$WORK/big" "$MNT2/big.bin"
printf 'later\n' >"$MNT/later.txt"
# (the file is created empty first, then committed with its bytes at close)
check "a file written after the reader mounted reaches it, bytes and all" \
  wait_until 20 grep -qx later "$MNT2/later.txt"

hm drive serve "$K" --listen 127.0.0.1:0 --store "$S"
check "drive serve of the mounted drive fails" [ "$RC" -ne 0 ]
check "and names the mount's process ($(msg))" grep -q "in use by process $MPID (hypermount mount)" "$WORK/err"
mkdir -p "$WORK/mnt3"
MOUNTS+=("$WORK/mnt3")
hm mount "hyper://$K" "$WORK/mnt3" -o "store=$S"
check "a second mount of the drive from the same store fails" [ "$RC" -ne 0 ]
check "and names the mount's process ($(msg))" grep -q "in use by process $MPID (hypermount mount)" "$WORK/err"
hm mount "hyper://$K" "$MNT" -o "store=$S2,peer=127.0.0.1:$PORT"
check "a second mount on the same folder fails ($(msg))" grep -q "already a hypermount mount" "$WORK/err"
check_eq "the first mount still answers" "written through the mount" "$($T cat "$MNT/hello.txt")"

unmount_checked "$MNT2"
unmount_checked "$MNT"
hm drive cat "$K" /later.txt --store "$S"
check_eq "after unmounting, the store is free again" "later" "$(cat "$WORK/out")"
finish
