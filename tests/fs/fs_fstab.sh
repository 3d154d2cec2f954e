#!/usr/bin/env bash
# fstab: a `fuse.hypermount` line in a temporary fstab mounts with `mount -T FILE DIR` through
# the installed helper name mount.fuse.hypermount, and `umount DIR` unmounts it.
set -uo pipefail
hm=${HYPERMOUNT:?HYPERMOUNT must name the hypermount binary}
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "skip: needs /dev/fuse, fusermount3 and root (mount -T)"; exit 77
fi
work=$(mktemp -d)
helper=/sbin/mount.fuse.hypermount
made_helper=0
cleanup() {
  mountpoint -q "$work/mnt" 2>/dev/null && { umount "$work/mnt" || fusermount3 -uz "$work/mnt"; }
  [ "$made_helper" = 1 ] && rm -f "$helper"
  rm -rf "$work"
}
trap cleanup EXIT
failed=0
check() { if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failed=$((failed + 1)); fi; }

key=$("$hm" drive create --store "$work/store")
printf 'from fstab\n' | "$hm" drive put "$key" /note.txt --store "$work/store"
mkdir "$work/mnt"
echo "hyper://$key $work/mnt fuse.hypermount ro,_netdev,nofail,x-systemd.automount,store=$work/store 0 0" >"$work/fstab"
# What `meson install` puts there; made here for the test and removed afterwards.
if [ ! -e "$helper" ]; then ln -s "$hm" "$helper"; made_helper=1; fi

mount -T "$work/fstab" "$work/mnt"
check "mount -T exits 0" [ $? -eq 0 ]
check "the mount is listed as fuse.hypermount" grep -q " $work/mnt fuse.hypermount ro," /proc/mounts
check "the file reads through the mount" [ "$(cat "$work/mnt/note.txt" 2>&1)" = "from fstab" ]
umount "$work/mnt"
check "umount exits 0" [ $? -eq 0 ]
check "no mount left" bash -c "! grep -q ' $work/mnt ' /proc/mounts"

echo "$failed check(s) failed"
[ "$failed" -eq 0 ]
