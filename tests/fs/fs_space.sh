#!/usr/bin/env bash
# A mount and the room it has: statfs reports the store's file system, a size past the maximum
# (4 TiB) is EFBIG, a file the store cannot hold is ENOSPC before anything is appended (the
# pjdfstest case `truncate -s 999999999999999` once filled 80 GB), zeros are holes, and the
# space of removed files comes back. The store sits on a 64 MiB tmpfs this test mounts, so a
# bug here cannot fill the machine's disk.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

FS=$WORK/fs
S=$FS/store
MNT=$WORK/mnt
T="timeout 60"
store_tmpfs 64m hm-space

# errno_of_truncate PATH SIZE [open] : the errno name of truncate(PATH, SIZE) (of ftruncate on
# an open descriptor with "open"), OK if it succeeds; errno_of_pwrite PATH OFFSET : of writing
# one byte there
errno_of_truncate() {
  timeout 60 python3 -c '
import errno, os, sys
path, size = sys.argv[1], int(sys.argv[2])
try:
    if len(sys.argv) > 3:
        fd = os.open(path, os.O_WRONLY)
        try: os.ftruncate(fd, size)
        finally: os.close(fd)
    else:
        os.truncate(path, size)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$@"
}
errno_of_pwrite() {
  timeout 60 python3 -c '
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.pwrite(fd, b"x", int(sys.argv[2])); os.fsync(fd); print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
finally:
    try: os.close(fd)
    except OSError: pass' "$@"
}

new_drive "$S"
mount_drive "$K" "$MNT" "store=$S"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }

# statfs: the tmpfs's figures (df of the mount = df of the store), names up to 255 bytes
read -r size_m avail_m <<<"$($T stat -f -c '%b %a' "$MNT")"
read -r size_s avail_s bsize_s <<<"$(stat -f -c '%b %a %S' "$FS")"
bsize_m=$($T stat -f -c '%S' "$MNT")
check_eq "statfs block size is the store's" "$bsize_s" "$bsize_m"
check_eq "statfs blocks are the store's" "$size_s" "$size_m"
check "statfs available is the store's, within 1 MiB ($avail_m vs $avail_s)" \
  [ $(( (avail_m > avail_s ? avail_m - avail_s : avail_s - avail_m) * bsize_s )) -le 1048576 ]
check_eq "statfs name length" 255 "$($T stat -f -c '%l' "$MNT")"
check "df shows free space on the mount" [ "$($T df --output=avail -B1 "$MNT" | tail -n1)" -gt 0 ]

# a size past the maximum: EFBIG, by truncate of a closed file, of an open one, and by a write
echo "small" >"$MNT/f"
before=$(snapshot "$S")
check_eq "truncate -s 999999999999999: EFBIG" "EFBIG" \
  "$(errno_of_truncate "$MNT/f" 999999999999999)"
check_eq "ftruncate to 5 TiB: EFBIG" "EFBIG" "$(errno_of_truncate "$MNT/f" $((5 << 40)) open)"
check_eq "pwrite at 5 TiB: EFBIG" "EFBIG" "$(errno_of_pwrite "$MNT/f" $((5 << 40)))"
check_eq "the file is unchanged" "small" "$($T cat "$MNT/f")"
check_eq "the store is unchanged" "$before" "$(snapshot "$S")"

# a size that fits the maximum but not the store: ENOSPC, and nothing appended (a hole costs
# the store its tree records, about 80 bytes per 512 KiB: 160 MiB for 1 TiB)
check_eq "truncate -s 1T on a 64 MiB store: ENOSPC" "ENOSPC" "$(errno_of_truncate "$MNT/f" $((1 << 40)))"
check_eq "the file is unchanged after ENOSPC" "small" "$($T cat "$MNT/f")"
check_eq "the store is unchanged after ENOSPC" "$before" "$(snapshot "$S")"
head -c $((80 << 20)) /dev/urandom >"$WORK/file80"
$T cp "$WORK/file80" "$MNT/h" 2>"$WORK/err"
check "80 MiB of data into a 64 MiB store: cp fails with ENOSPC ($(msg))" grep -q "No space left" "$WORK/err"
rm -f "$WORK/file80" "$MNT/h"
check "a write that fits still works" $T dd if=/dev/urandom of="$MNT/g" bs=1M count=8 status=none
check_eq "and has its size" 8388608 "$($T stat -c %s "$MNT/g")"

# holes: zeros are holes in the content core's data file, so a 2 GiB truncate and a write at
# 2 GiB (pjdfstest open/25) fit a 64 MiB store, and read back as zeros with their data
used() { du -sk "$S" | cut -f1; }
used_before=$(used)
check_eq "truncate -s 2G on a 64 MiB store" "OK" "$(errno_of_truncate "$MNT/f" $((2 << 30)))"
check_eq "it has its size" $((2 << 30)) "$($T stat -c %s "$MNT/f")"
check_eq "its old bytes are kept" "small" "$($T head -c 5 "$MNT/f")"
check "its new tail reads as zeros" cmp -s <($T tail -c 65536 "$MNT/f") <(head -c 65536 /dev/zero)
check "the store grew by under 2 MiB ($(used) KiB, was $used_before)" [ $(( $(used) - used_before )) -lt 2048 ]
echo "x" | $T dd of="$MNT/sparse" bs=1 seek=$((2 << 30)) status=none 2>"$WORK/err"
check_eq "a write at 2 GiB: size" $(( (2 << 30) + 2 )) "$($T stat -c %s "$MNT/sparse")"
check_eq "a write at 2 GiB: its byte" "x" "$($T tail -c 2 "$MNT/sparse" | head -c 1)"
check "and zeros before it" cmp -s <($T tail -c 65538 "$MNT/sparse" | head -c 65536) <(head -c 65536 /dev/zero)
check "the store grew by under 4 MiB for both ($(used) KiB)" [ $(( $(used) - used_before )) -lt 4096 ]
rm -f "$MNT/sparse"
check_eq "the truncated file shrinks back" "OK" "$(errno_of_truncate "$MNT/f" 5)"
check_eq "and reads as before" "small" "$($T cat "$MNT/f")"

# space back: files removed or replaced give their space back when the store runs low, so a
# 64 MiB store takes file after file of 14 MiB (each needs as much again of staging while it is
# written, and an overwritten file keeps its bytes until the new ones are in)
head -c $((14 << 20)) /dev/urandom >"$WORK/file14"
check "a 14 MiB file" $T cp "$WORK/file14" "$MNT/big"
V_OLD=$($T getfattr --absolute-names --only-values -n user.hypermount.version "$MNT")
for round in 1 2 3 4; do
  check "round $round: rm, then a new 14 MiB file" bash -c "rm '$MNT/big' && $T cp '$WORK/file14' '$MNT/big'"
  check "round $round: overwrite it with 14 MiB" $T cp "$WORK/file14" "$MNT/big"
done
check "the last one reads back whole" cmp -s "$WORK/file14" "$MNT/big"
check "the store stayed within its tmpfs: 9 files of 14 MiB were written" [ "$(du -sm "$S" | cut -f1)" -lt 64 ]
unmount_checked "$MNT"
hm drive cat "$K" /g --store "$S"
check_eq "a file never removed still reads" 8388608 "$(stat -c %s "$WORK/out")"
hm drive cat "hyper://$K+$V_OLD" /big --store "$S"
check "version $V_OLD's /big, whose space went back, fails to read: never wrong bytes (exit $RC: $(msg))" \
  [ "$RC" -ne 0 ]
check "the drive's cores verify after giving space back" bash -c "for c in \$(find '$S' -name key -type f -printf '%h\n'); do timeout 60 '$HYPERMOUNT' core verify \"\$c\" >/dev/null || exit 1; done"
finish
