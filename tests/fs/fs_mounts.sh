#!/usr/bin/env bash
# Drive mounts through a read-write FUSE mount: `mount-drive` makes one (listed, read and written
# through, described by user.hypermount.mount), the root shows user.hypermount.key/version,
# refused cases say why, and `unmount-drive` removes it; afterwards the store holds exactly that.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S=$WORK/S
MNT=$WORK/mnt
new_drive "$S"; INNER=$K
hm_ok drive create --store "$S" --name outer; OUTER=$(head -n1 "$WORK/out")
printf 'inside the inner drive\n' >"$WORK/inside.txt"
hm_ok drive put "$INNER" /inside.txt "$WORK/inside.txt" --store "$S"
[ "$FAILS" -eq 0 ] || { echo "building the drives failed"; finish; }

mount_drive "$OUTER" "$MNT" "store=$S"
check_eq "mount the outer drive read-write ($(msg))" 0 "$RC"
check_eq "the root says the drive key" "$OUTER" "$(xattr_value "$MNT" user.hypermount.key)"
v1=$(xattr_value "$MNT" user.hypermount.version)

hm mount-drive "$MNT/sub" "hyper://$INNER"
check_eq "mount-drive DIR KEY exits 0 ($(msg))" 0 "$RC"
check_eq "the mounted drive's file is listed" "inside.txt" "$(ls "$MNT/sub")"
check_eq "... and reads" "inside the inner drive" "$(cat "$MNT/sub/inside.txt" 2>&1)"
check_eq "user.hypermount.mount names it" "hyper://$INNER" "$(xattr_value "$MNT/sub" user.hypermount.mount)"
check "the outer version grew by the mount ($v1 -> $(xattr_value "$MNT" user.hypermount.version))" \
  test "$(xattr_value "$MNT" user.hypermount.version)" -gt "$v1"
printf 'through the mount\n' >"$MNT/sub/written.txt"
check_eq "a file written below the mount point reads back" "through the mount" "$(cat "$MNT/sub/written.txt")"
check_eq "rmdir of the mount point is EBUSY" "EBUSY" "$(errno_of rmdir "$MNT/sub")"
check_eq "a rename out of the mounted drive is EXDEV" "EXDEV" "$(errno_of rename "$MNT/sub/written.txt" "$MNT/out.txt")"

mkdir "$MNT/full"; : >"$MNT/full/f"
hm mount-drive "$MNT/full" "$INNER"
check "mount-drive on a non-empty directory fails (exit $RC: $(msg))" grep -q "Directory not empty" "$WORK/err"
hm mount-drive "$MNT/self" "$OUTER"
check "mount-drive of the drive inside itself fails (exit $RC: $(msg))" grep -q "Too many levels of symbolic links" "$WORK/err"
check "... and leaves no directory behind" test ! -e "$MNT/self"
hm mount-drive "$WORK/not-in-a-mount" "$INNER"
check "mount-drive outside a hypermount mount fails with a clear message ($(msg))" grep -q "not inside a hypermount mount" "$WORK/err"

hm unmount-drive "$MNT/sub"
check_eq "unmount-drive exits 0 ($(msg))" 0 "$RC"
check "the mount point is gone" wait_until 5 test ! -e "$MNT/sub"
hm unmount-drive "$MNT/full"
check "unmount-drive of a plain directory fails ($(msg))" grep -q "not a drive mount point" "$WORK/err"
check "fusermount3 -u" timeout 20 fusermount3 -u "$MNT"

hm_ok drive cat "$INNER" /written.txt --store "$S"
check_eq "the file written through the mount is in the inner drive" "through the mount" "$(cat "$WORK/out")"
hm_ok drive mounts "$OUTER" --store "$S"
check_eq "the outer drive has no mount left" "" "$(cat "$WORK/out")"
finish
