#!/usr/bin/env bash
# A content block damaged on disk in the mounted store: reading the file it belongs to fails with
# EIO (the block fails its hash before any byte is handed out, spliced or not), the other files
# read intact, and `drive cat` of it exits 4 (corrupt).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
MNT=$WORK/mnt
new_drive "$S1"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$WORK/victim.bin"
printf 'an intact neighbour\n' >"$WORK/intact.txt"
hm_ok drive put "$K" /victim.bin "$WORK/victim.bin" --store "$S1"
hm_ok drive put "$K" /intact.txt "$WORK/intact.txt" --store "$S1"
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

# The content core is the one whose key is not the drive's; victim.bin starts at its byte 0.
content_dir=
for dir in $(core_dirs "$S1"); do [ "$(core_field "$dir" key)" == "$K" ] || content_dir=$dir; done
printf '\x5a' | dd of="$content_dir/data" bs=1 seek=$((1024 * 1024 + 7)) conv=notrunc status=none

mount_drive "$K" "$MNT" "store=$S1,ro"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
check_eq "reading the damaged block fails with EIO" "EIO" "$(errno_of read "$MNT/victim.bin" $((1024 * 1024)))"
check_eq "the first (intact) block of that file still reads" "$(head -c 65536 "$WORK/victim.bin" | sha256sum)" \
  "$(timeout 30 head -c 65536 "$MNT/victim.bin" | sha256sum)"
check_eq "cat of the file fails with Input/output error" "1" \
  "$(timeout 30 cat "$MNT/victim.bin" 2>&1 >/dev/null | grep -c 'Input/output error')"
check_eq "the neighbour reads intact" "an intact neighbour" "$(timeout 30 cat "$MNT/intact.txt")"
check "fusermount3 -u" timeout 20 fusermount3 -u "$MNT"
hm drive cat "$K" /victim.bin --store "$S1"
check_eq "drive cat of the damaged file exits 4 (corrupt)" 4 "$RC"
finish
