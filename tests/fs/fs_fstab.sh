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

mount -a -T "$work/fstab"
check "mount -a -T mounts the line" grep -q " $work/mnt fuse.hypermount ro," /proc/mounts
umount "$work/mnt"

# The example systemd units (man/examples): systemd runs `mount WHAT WHERE -t TYPE -o OPTIONS`
# from the .mount unit; run exactly that with the unit's values (KEY, store and peer replaced).
units=$(dirname "$0")/../../man/examples
unit_value() { sed -n "s/^$1=//p" "$units/mnt-drive.mount"; }
check "the automount unit names the same Where= as the mount unit" \
  [ "$(sed -n 's/^Where=//p' "$units/mnt-drive.automount")" = "$(unit_value Where)" ]
check "the mount unit's file name matches its Where= (systemd.mount(5))" \
  [ "$(unit_value Where | sed 's|^/||; s|/|-|g').mount" = mnt-drive.mount ]
what=$(unit_value What | sed "s/KEY/$key/")
options=$(unit_value Options | sed "s|store=[^,]*|store=$work/store|; s|,peer=[^,]*||")
mount "$what" "$work/mnt" -t "$(unit_value Type)" -o "$options"
check "the unit's mount command (-t $(unit_value Type) -o ...) mounts the drive" [ "$(cat "$work/mnt/note.txt" 2>&1)" = "from fstab" ]
umount "$work/mnt"
if command -v systemd-analyze >/dev/null && [ -d /run/systemd/system ]; then
  sed "s/KEY/$key/" "$units/mnt-drive.mount" >"$work/mnt-drive.mount"
  cp "$units/mnt-drive.automount" "$work/"
  check "systemd-analyze verify accepts the units" systemd-analyze verify "$work/mnt-drive.mount" "$work/mnt-drive.automount"
else
  echo "# systemd is not running here: systemd-analyze verify not run (the unit's mount command was)"
fi

echo "$failed check(s) failed"
[ "$failed" -eq 0 ]
