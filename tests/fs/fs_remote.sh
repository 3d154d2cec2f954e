#!/usr/bin/env bash
# A drive served from store S1 by `drive serve`, mounted by key in an empty store S2 with peer=:
# listing and contents fetched on demand (a read in the middle of a big file fetches only part of
# it); with the server gone, a not-yet-fetched file fails with EIO within the fetch timeout and the
# mount stays up, still serving what was fetched; when the server returns, the mount dials it
# again and the rest reads.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
S2=$WORK/S2
SRC=$WORK/src
MNT=$WORK/mnt
FETCH_TIMEOUT=5
mkdir -p "$SRC/docs"

new_drive "$S1"
put() { hm_ok drive put "$K" "/$1" "$SRC/$1" --store "$S1"; }
printf 'small file\n' >"$SRC/small.txt"
printf 'in a folder\n' >"$SRC/docs/a.txt"
: >"$SRC/docs/empty"
head -c $((6 * 1024 * 1024 + 777)) /dev/urandom >"$SRC/big.bin"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$SRC/unfetched.bin"
printf 'never read before the server stops\n' >"$SRC/docs/later.txt"
for f in small.txt docs/a.txt docs/empty big.bin unfetched.bin docs/later.txt; do put "$f"; done
ln -s small.txt "$SRC/link"
hm_ok drive symlink "$K" small.txt /link --store "$S1"
# a writer's links that would lead outside the mount: absolute, and climbing above the root
printf 'a file outside the mount\n' >"$WORK/outside.txt"
hm_ok drive symlink "$K" "$WORK/outside.txt" /docs/abs --store "$S1"
hm_ok drive symlink "$K" "../../../../../../../../../..$WORK/outside.txt" /docs/up --store "$S1"
hm_ok drive symlink "$K" /small.txt /docs/to_small --store "$S1"
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

serve_drive "$K" "$S1" || finish
check "drive serve is running" kill -0 "$SERVER_PID"

mount_drive "hyper://$K" "$MNT" "store=$S2,peer=127.0.0.1:$PORT,fetch_timeout=$FETCH_TIMEOUT"
check_eq "mount from the peer exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
T="timeout 60"

check_eq "ls / from the peer" "big.bin docs link small.txt unfetched.bin" "$($T ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
check_eq "ls /docs from the peer" "a.txt abs empty later.txt to_small up" "$($T ls "$MNT/docs" | tr '\n' ' ' | sed 's/ $//')"
check_eq "stat of the big file" "regular file $(stat -c %s "$SRC/big.bin")" "$($T stat -c '%F %s' "$MNT/big.bin")"
check_eq "readlink from the peer" "small.txt" "$($T readlink "$MNT/link")"
# links of a drive written elsewhere stay inside the mount ('/' is the drive's root)
check_eq "an absolute link is shown from the drive's root" "..$WORK/outside.txt" "$($T readlink "$MNT/docs/abs")"
check_eq "a link climbing above the root stops there" "..$WORK/outside.txt" "$($T readlink "$MNT/docs/up")"
check_eq "an absolute link reads the drive's file" "small file" "$($T cat "$MNT/docs/to_small")"
for l in abs up; do
  check "following /docs/$l does not reach the host's file" bash -c "! $T cat '$MNT/docs/$l' 2>/dev/null"
done

# the middle of the big file first: only part of the content is fetched
check "dd skip into the middle of the big file" cmp -s \
  <(dd if="$SRC/big.bin" bs=65536 skip=50 count=3 status=none) \
  <($T dd if="$MNT/big.bin" bs=65536 skip=50 count=3 status=none)
# the content core is the core in S2 whose key is not the drive's
content_dir=""
for dir in $(core_dirs "$S2"); do
  [ "$(core_field "$dir" key)" == "$K" ] || content_dir=$dir
done
if [ -n "$content_dir" ]; then
  length=$(core_field "$content_dir" length)
  present=$(core_field "$content_dir" blocks-present)
  check "after a read in the middle, some but not all content blocks are here ($present of $length)" \
    test "${present:-0}" -gt 0 -a "${present:-0}" -lt "${length:-0}"
else
  fail "no content core found in $S2"
fi

for f in small.txt docs/a.txt docs/empty big.bin link; do
  check_eq "sha256 of /$f from the peer" "$(sha256sum <"$SRC/$f" | cut -d' ' -f1)" \
    "$($T sha256sum <"$MNT/$f" | cut -d' ' -f1)"
done

# the server goes away
kill -TERM "$SERVER_PID"
wait_until 10 pid_gone "$SERVER_PID" || fail "drive serve did not exit on SIGTERM"
wait "$SERVER_PID"; check_eq "drive serve exits 0 on SIGTERM" 0 "$?"

for f in unfetched.bin docs/later.txt; do
  start=$(date +%s.%N)
  got=$(errno_of read "$MNT/$f" 0)
  took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
  check_eq "reading not-yet-fetched /$f without a peer fails with EIO" "EIO" "$got"
  # The kernel retries a failed readahead as a plain read: that retry fails at once (the old
  # behaviour, waiting again, would take twice the timeout).
  check "... within the fetch timeout (took ${took}s, limit $((FETCH_TIMEOUT + 3))s)" \
    python3 -c "import sys; sys.exit(0 if $took < $((FETCH_TIMEOUT + 3)) else 1)"
done
check "cat of a not-yet-fetched file says Input/output error" \
  bash -c "$T cat '$MNT/unfetched.bin' 2>&1 >/dev/null | grep -q 'Input/output error'"

check "the mount is still up" is_mounted "$MNT"
check_eq "ls / still works" "big.bin docs link small.txt unfetched.bin" "$($T ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"
# what was fetched stays readable (each open drops the page cache: the bytes come from S2)
for f in small.txt big.bin; do
  check_eq "sha256 of /$f after the server stopped" "$(sha256sum <"$SRC/$f" | cut -d' ' -f1)" \
    "$($T sha256sum <"$MNT/$f" | cut -d' ' -f1)"
done

# the server comes back on the same port: the mount dials it again and the rest reads
serve_drive "$K" "$S1" "$PORT" || finish
check_eq "unfetched.bin reads once the peer is back" "$(sha256sum <"$SRC/unfetched.bin" | cut -d' ' -f1)" \
  "$(for i in $(seq 20); do out=$(timeout 30 sha256sum <"$MNT/unfetched.bin" 2>/dev/null) && break; sleep 0.5; done; cut -d' ' -f1 <<<"$out")"

check "fusermount3 -u" timeout 20 fusermount3 -u "$MNT"
stop_pid "$SERVER_PID"
check "no mount left in /proc/mounts" bash -c "! grep -q ' $MNT ' /proc/mounts"

# a peer that is not there (its port refuses): the mount fails at once, not after the 30 s
# fetch timeout, names the peer, and leaves nothing mounted
MNT2=$WORK/mnt2
start=$(date +%s)
mount_drive "$K" "$MNT2" "store=$WORK/S3,peer=127.0.0.1:$PORT,fetch_timeout=30"
check "mount with an absent peer fails (exit $RC: $(msg))" test "$RC" -ne 0
check "... at once (took $(( $(date +%s) - start ))s)" test $(( $(date +%s) - start )) -le 5
check "... saying which peer could not be reached" grep -q "no peer reachable (127.0.0.1:$PORT: .*refused" "$WORK/err"
check "... and leaves no mount" bash -c "! grep -q ' $MNT2 ' /proc/mounts"
# a store folder that does not exist, no peer and no discovery: refused, and no store is created
mount_drive "$K" "$MNT2" "store=$WORK/no-such-store,mdns=off"
check_eq "mount from a missing store without peers exits 3 ($(msg))" 3 "$RC"
check "... and creates no store folder" test ! -e "$WORK/no-such-store"
# no peer given: looked for on the LAN (on loopback here), where nobody serves it
start=$(date +%s)
mount_drive "$K" "$MNT2" "store=$WORK/S4,mdns=127.0.0.1,fetch_timeout=2"
check "mount by key when nobody serves it fails (exit $RC: $(msg))" test "$RC" -ne 0
check "... saying no peer was found" grep -q "no peer found in 2 s" "$WORK/err"
check "... after fetch_timeout (took $(( $(date +%s) - start ))s)" test $(( $(date +%s) - start )) -le 10
check "... and leaves no mount" bash -c "! grep -q ' $MNT2 ' /proc/mounts"
finish
