#!/usr/bin/env bash
# A new file written in order through the mount goes to the drive's content core as it is written
# (each byte written once, no staging copy): a 100 MiB cp fits a 160 MiB store, which it could
# not were it staged first (twice its size until committed), and the content core grows by
# exactly its size; after its removal another one fits (the removed one's space is given back
# when the store fills). A file removed while it is written gives its space back. Everything else
# done to a file being written that way (a write back, a read, a cut, fsync, a rename while
# open, a second writer, O_TRUNC by another descriptor, O_APPEND, another file's commit) gives
# the bytes a local file system would (stream_scenarios.py), after a remount too, and JS
# hyperdrive 10.21.0 reads the same bytes from the store. The store is a tmpfs this test mounts.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"
HM_JS_P8=${HM_JS_P8:-$(cd "$HERE/../interop" && pwd)/js-p8}
JS_SHARED=$(cd "$HERE/../interop/js" && pwd)

FS=$WORK/fs
S=$FS/store
MNT=$WORK/mnt
T="timeout 120"
store_tmpfs 160m hm-stream
mkdir -p "$WORK/expect"
used() { du -sm "$S" | cut -f1; }
# content_bytes : the byte length of the drive's content core (the longer of its two cores)
content_bytes() {
  local d
  for d in $(core_dirs "$S"); do core_field "$d" byte-length; done | sort -n | tail -n1
}

new_drive "$S"
mount_drive "$K" "$MNT" "store=$S"
is_mounted "$MNT" || { fail "$MNT is not mounted ($(msg))"; finish; }

head -c $((100 << 20)) /dev/urandom >"$WORK/big"
$T cp "$WORK/big" "$MNT/big" 2>"$WORK/err"
check "cp of 100 MiB into a 160 MiB store ($(head -c 200 "$WORK/err"))" [ ! -s "$WORK/err" ]
check "it reads back" cmp -s "$WORK/big" "$MNT/big"
check "the store holds it once ($(used) MiB used)" [ "$(used)" -lt 130 ]
unmount_checked "$MNT"
check_eq "the content core grew by exactly the file" $((100 << 20)) "$(content_bytes)"

# The store full of a removed file: its space is given back as the next one fills the store.
mount_drive "$K" "$MNT" "store=$S"
check "rm of the 100 MiB file" rm "$MNT/big"
$T cp "$WORK/big" "$MNT/again" 2>"$WORK/err"
check "another 100 MiB file fits once the removed one's space is given back ($(head -c 200 "$WORK/err"))" [ ! -s "$WORK/err" ]
check "it reads back" cmp -s "$WORK/big" "$MNT/again"
unmount_checked "$MNT"
rm -rf "$WORK/big" "$S"

new_drive "$S"  # the rest in a store of its own, with all the tmpfs's room
mount_drive "$K" "$MNT" "store=$S"
is_mounted "$MNT" || { fail "$MNT is not mounted again ($(msg))"; finish; }
used_before=$(used)
$T python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for _ in range(30): os.write(fd, os.urandom(1 << 20))
os.unlink(sys.argv[1])
os.write(fd, b"more")
os.close(fd)' "$MNT/removed"
# close() returns once the kernel's FLUSH is answered; its RELEASE (the last reference, where the
# space goes back) is sent after, so the check waits for it.
space_back() { [ $(( $(used) - used_before )) -lt 4 ]; }
wait_until 30 space_back
check "a file of 30 MiB removed while it was written gives its space back ($(used) MiB, was $used_before)" space_back
check "and is gone" [ ! -e "$MNT/removed" ]
$T python3 "$HERE/stream_scenarios.py" "$MNT" "$WORK/expect" >"$WORK/scenarios.out" 2>"$WORK/scenarios.err"
check "every scenario ran ($(tail -c 300 "$WORK/scenarios.err"))" [ "$(grep -c '^done ' "$WORK/scenarios.out")" -eq 11 ]
for f in "$WORK"/expect/*; do
  check "${f##*/} holds its bytes" cmp -s "$f" "$MNT/${f##*/}"
done
check_eq "the names are those expected" "$(ls "$WORK/expect")" "$(ls "$MNT")"
unmount_checked "$MNT"

mount_drive "$K" "$MNT" "store=$S"
for f in "$WORK"/expect/*; do
  check "${f##*/} holds its bytes after a remount" cmp -s "$f" "$MNT/${f##*/}"
done
unmount_checked "$MNT"
check "the drive's cores verify" bash -c "for c in \$(find '$S' -name key -type f -printf '%h\n'); do timeout 120 '$HYPERMOUNT' core verify \"\$c\" >/dev/null || exit 1; done"

if command -v node >/dev/null && [ -d "$HM_JS_P8/node_modules/hyperdrive" ]; then
  RC=0
  $T env NODE_PATH="$HM_JS_P8/node_modules" node "$JS_SHARED/drive-read.js" "$S" "$K" >"$WORK/js.json" 2>"$WORK/js.err" || RC=$?
  check "JS reads the drive (exit $RC: $(head -c 300 "$WORK/js.err"))" [ "$RC" -eq 0 ]
  for f in "$WORK"/expect/*; do
    want=$(sha256sum "$f" | cut -d' ' -f1)
    check "JS reads ${f##*/} with its bytes" python3 -c '
import json, sys
lines = json.load(open(sys.argv[1]))["lines"]
sys.exit(0 if any(l.split("\t")[0] == sys.argv[2] and l.split("\t")[11] == sys.argv[3] for l in lines) else 1)' \
      "$WORK/js.json" "/${f##*/}" "$want"
  done
else
  echo "SKIP (part): JS hyperdrive 10.21.0 is not installed (bash .ci/install-deps): JS does not read the drive"
fi
finish
