#!/usr/bin/env bash
# A file of a gigabyte through the mount, remote and local.
# Remote: JS hyperdrive 10.21.0 (js-p8, big-file-serve.js) writes /big, 1 GiB in 64 KiB writes
# (16,384 content blocks), into a store on a tmpfs this test mounts, and serves it on 127.0.0.1.
# Its bytes are the AES-128-CTR keystream of a seed, so this test makes the expected bytes again
# with openssl (any 16-byte-aligned slice of them without the ones before), never holding them
# twice. An empty store mounts the drive by key with peer=:
#   a 1 MiB read from the middle gives the right bytes and leaves the store holding far less than
#   the file (only the blocks read are fetched); stat gives the exact size; sha256sum of the whole
#   file through the mount is the expected one; then, the JS peer stopped, the same store mounted
#   again without a peer reads the whole file again with no fetch (every block was kept).
# Local: an own drive (drive create) on the same tmpfs, mounted read-write: cp of a 1 GiB file
# into it, its sha256 through the mount, after a remount, and with drive cat; drive stat's size.
# The stores' tmpfs (3 GiB) bounds what a runaway write could take from the machine; the JS
# store and the remote mount's store are removed before the local part, whose source file sits
# on a tmpfs of its own (a cp writes in order: the store holds the file once, appended as it is
# written). Elapsed seconds and the mount's peak memory (VmHWM) are printed, not checked.
# Needs root (the tmpfs), node and the p8 JS stack (bash .ci/install-deps), openssl, getfattr.
# HM_TIMEOUT_SCALE=N multiplies every time limit (for slow builds, e.g. sanitizers);
# HM_BIG_FILE_MIB=N makes the files N MiB instead of 1024 (N >= 4, for a quick try).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

JS_SHARED=$(cd "$HERE/../interop/js" && pwd)
HM_JS_P8=${HM_JS_P8:-$(cd "$HERE/../interop" && pwd)/js-p8}
command -v node >/dev/null || skip "node is not installed"
command -v openssl >/dev/null || skip "openssl is not installed (makes the expected bytes)"
command -v getfattr >/dev/null || skip "getfattr (attr) is not installed"
[ -d "$HM_JS_P8/node_modules/hyperdrive" ] || skip "no node_modules in $HM_JS_P8 (run: bash .ci/install-deps)"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

SCALE=${HM_TIMEOUT_SCALE:-1}
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || { echo "FAIL: HM_TIMEOUT_SCALE='$SCALE' is not a positive whole number"; exit 1; }
scaled() { echo $(( $1 * SCALE )); }
MIB=${HM_BIG_FILE_MIB:-1024}
if ! [[ $MIB =~ ^[0-9]+$ ]] || [ "$MIB" -lt 4 ]; then echo "FAIL: HM_BIG_FILE_MIB='$MIB' is not a number of MiB >= 4"; exit 1; fi
SIZE=$((MIB * 1024 * 1024))
# the 1 MiB read from the middle: not aligned to a block (64 KiB) but to 16 bytes (an AES block)
MID=$((SIZE / 2 + 100000))
# the most a store may hold after that read: 64 MiB (a 16th of a smaller file)
SPARSE_MAX=$((SIZE / 16 < 64 * 1024 * 1024 ? SIZE / 16 : 64 * 1024 * 1024))
# the most blocks (64 KiB each) the mount may ask for by then: the MiB read, a first read-ahead
# window of 4 MiB and the blocks around the estimate of the first, with room: 16 MiB
ASKED_MAX=$((16 * 1024 * 1024 / 65536))

# stream SEED [OFFSET] : the file bytes of SEED from byte OFFSET (a multiple of 16) on, endless:
# the AES-128-CTR keystream of key sha256(SEED)[0..16) from counter block OFFSET/16, as
# big-file-serve.js and drive-lib.js fileBytes make it
stream() {
  local key
  key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
  openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$(printf '%032x' $(( ${2:-0} / 16 )))" </dev/zero 2>/dev/null
}
# file_bytes SEED SIZE : the first SIZE bytes of stream SEED
file_bytes() { stream "$1" | head -c "$2"; }
# seconds_since T0 : seconds (one decimal) since T0 (date +%s.%N)
seconds_since() { python3 -c "print(round($(date +%s.%N) - $1, 1))"; }
# sha_of PATH : sets SHA to the sha256 of PATH (at most 300 s, scaled), or "failed (exit N: ...)",
# and TOOK to the seconds it took
sha_of() {
  local t0 out rc=0
  t0=$(date +%s.%N)
  out=$(timeout "$(scaled 300)" sha256sum "$1" 2>"$WORK/sha.err") || rc=$?
  TOOK=$(seconds_since "$t0")
  if [ "$rc" -eq 0 ]; then SHA=${out%% *}; else SHA="failed (exit $rc: $(head -c 200 "$WORK/sha.err"))"; fi
}
# drop_cached PATH : asks the kernel to drop its cached pages of PATH, so that the next read
# reaches the mount
drop_cached() {
  python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$1" 2>/dev/null || true
}
# fetches DIR : the mount's "BATCHES BLOCKS" fetched from peers since it started
fetches() { timeout "$(scaled 30)" getfattr --absolute-names --only-values -n user.hypermount.fetches "$1" 2>&1; }
# peak_memory DIR : the peak resident memory (VmHWM) of the daemon mounted at DIR
peak_memory() {
  local pid
  pid=$(mount_pid "$1")
  [ -n "$pid" ] && sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null
}
# used_bytes DIR : the bytes the files under DIR take on their file system (sparse files count
# only what is written)
used_bytes() { du -s -B1 "$1" | cut -f1; }

# --- a tmpfs for every store, and one for the local part's source file (a staged file is held
# twice until it is committed: its staging file, then the content core); both unmounted at exit
# (after the mounts and the JS server)
FS=$WORK/tmpfs
SRC=$WORK/source
mkdir -p "$FS" "$SRC"
mount -t tmpfs -o size=3g,nr_inodes=10000,mode=0755 hm-fs-bigfile "$FS" 2>"$WORK/tmpfs.err" ||
  skip "cannot mount a tmpfs: $(head -c 200 "$WORK/tmpfs.err")"
mount -t tmpfs -o "size=$((MIB + 16))m,nr_inodes=100,mode=0755" hm-fs-bigfile-source "$SRC" 2>"$WORK/tmpfs.err" ||
  { umount "$FS"; skip "cannot mount a tmpfs: $(head -c 200 "$WORK/tmpfs.err")"; }
cleanup_big() {
  local m p
  for m in "${MOUNTS[@]}"; do unmount_quietly "$m"; done
  for p in "${PIDS[@]}"; do
    if [ -n "${p#*:}" ] && [ "$(start_of "${p%%:*}")" = "${p#*:}" ]; then stop_pid "${p%%:*}"; fi
  done
  for m in "$FS" "$SRC"; do
    grep -q " $m tmpfs" /proc/mounts || continue
    if [ -n "${HM_KEEP:-}" ]; then
      echo "tmpfs (kept mounted): $m"
    else
      # a mount daemon may still be closing its store after fusermount3 -u
      for _ in $(seq 100); do umount "$m" 2>/dev/null && break; sleep 0.2; done
      grep -q " $m tmpfs" /proc/mounts && { umount -l "$m" 2>/dev/null || echo "could not unmount the tmpfs at $m"; }
    fi
  done
  cleanup
}
trap cleanup_big EXIT

# json FILE EXPR : EXPR (Python, `m` = the JSON of the first line of FILE) printed
json() { python3 -c 'import json, sys; m = json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$1" "$2"; }
# running PID : our child PID has not exited (an exited child not yet waited for is a zombie)
running() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }; [ "${st%% *}" != Z ]; }

# ===== remote: a JS drive of one big file, read through a mount that fetches it
SEED=hypermount-big-remote
echo "# remote: big-file-serve.js (js-p8) writes /big, $MIB MiB, and serves it"
started=$(date +%s.%N)
timeout "$(scaled 1800)" env NODE_PATH="$HM_JS_P8/node_modules" node "$JS_SHARED/big-file-serve.js" "$FS/js" \
  --size "$SIZE" --seed "$SEED" --listen 0 >"$WORK/js.out" 2>"$WORK/js.err" </dev/null &
JPID=$!
track "$JPID"
# meanwhile, the expected sha256 from openssl
file_bytes "$SEED" "$SIZE" | sha256sum | cut -d' ' -f1 >"$WORK/want.sha"
WANT=$(cat "$WORK/want.sha")
js_listening() { grep -q '^listening on 127\.0\.0\.1:[0-9]*$' "$WORK/js.out"; }
wait_until "$(scaled 600)" eval "js_listening || ! running $JPID"
if ! js_listening; then
  fail "big-file-serve.js did not write and serve its drive: $(tail -c 400 "$WORK/js.err")"
  finish
fi
echo "# hyperdrive $(json "$WORK/js.out" 'm["hyperdrive"]') wrote $(json "$WORK/js.out" 'm["size"]') bytes in" \
  "$(json "$WORK/js.out" 'm["blocks"]') blocks in $(json "$WORK/js.out" 'round(m["seconds"], 1)') s" \
  "(served $(seconds_since "$started") s after the start); JS store: $(du -sh "$FS/js" | cut -f1)"
check_eq "the JS writer's sha256 of /big is the one openssl makes" "$WANT" "$(json "$WORK/js.out" 'm["sha256"]')"
K=$(json "$WORK/js.out" 'm["key"]')
PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/js.out")

MNT=$WORK/mnt-remote
STORE=$FS/remote
echo "# hypermount mount hyper://$K from an empty store, peer=127.0.0.1:$PORT"
mount_drive "hyper://$K" "$MNT" "store=$STORE,peer=127.0.0.1:$PORT,logfile=$MNT.log"
check_eq "remote: mount from the JS peer exits 0 ($(msg))" 0 "$RC"
if is_mounted "$MNT"; then
  # (a) 1 MiB from the middle, then a store far smaller than the file
  t0=$(date +%s.%N)
  rc=0
  timeout "$(scaled 120)" dd if="$MNT/big" bs=1M count=1 skip="$MID" iflag=skip_bytes,fullblock \
    status=none 2>"$WORK/mid.err" | sha256sum | cut -d' ' -f1 >"$WORK/mid.sha" || rc=$?
  took=$(seconds_since "$t0")
  check_eq "remote: dd of 1 MiB at byte $MID exits 0 ($took s)$( [ "$rc" -eq 0 ] || echo ": $(head -c 200 "$WORK/mid.err")")" 0 "$rc"
  check_eq "remote: the 1 MiB at byte $MID are the expected bytes" \
    "$(stream "$SEED" "$MID" | head -c 1048576 | sha256sum | cut -d' ' -f1)" "$(cat "$WORK/mid.sha")"
  used=$(used_bytes "$STORE")
  check "remote: after that read the store holds $used bytes (at most $SPARSE_MAX of the file's $SIZE)" \
    test "$used" -le "$SPARSE_MAX"
  # the store only shows what has arrived; the blocks asked for include those still on the way
  f=$(fetches "$MNT")
  check "remote: after that read the mount has asked for ${f#* } blocks (at most $ASKED_MAX)" \
    bash -c '[[ $1 =~ ^[0-9]+\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -le "$2" ]' _ "$f" "$ASKED_MAX"
  # (c) the exact size
  check_eq "remote: stat -c %s /big" "$SIZE" "$(timeout "$(scaled 60)" stat -c %s "$MNT/big" 2>&1)"
  # (b) the whole file
  drop_cached "$MNT/big"
  sha_of "$MNT/big"
  check_eq "remote: sha256sum of /big through the mount ($TOOK s, $(python3 -c "print(round($MIB / max($TOOK, 0.1)))") MiB/s)" "$WANT" "$SHA"
  echo "# fetches after the whole read (batches blocks): $(fetches "$MNT"); store: $(used_bytes "$STORE") bytes;" \
    "mount's peak memory: $(peak_memory "$MNT")"
  unmount_checked "$MNT"
else
  fail "remote: $MNT is not in /proc/mounts"
fi
check "remote: big-file-serve.js still serves" running "$JPID"
stop_pid "$JPID"

# (d) the same store, no peer (and the JS side gone): every block comes from the store
echo "# the same store mounted again without a peer"
mount_drive "hyper://$K" "$MNT" "store=$STORE,fetch_timeout=5,logfile=$MNT.log2"
check_eq "remote, stored: mount without a peer exits 0 ($(msg))" 0 "$RC"
if is_mounted "$MNT"; then
  check_eq "remote, stored: stat -c %s /big" "$SIZE" "$(timeout "$(scaled 60)" stat -c %s "$MNT/big" 2>&1)"
  sha_of "$MNT/big"
  check_eq "remote, stored: sha256sum of /big ($TOOK s)" "$WANT" "$SHA"
  check_eq "remote, stored: nothing was fetched (batches blocks)" "0 0" "$(fetches "$MNT")"
  echo "# mount's peak memory: $(peak_memory "$MNT")"
  unmount_checked "$MNT"
else
  fail "remote, stored: $MNT is not in /proc/mounts"
fi
rm -rf "$FS/js" "$STORE"

# ===== local: an own drive, a big file copied in
SEED=hypermount-big-local
LSTORE=$FS/local
LMNT=$WORK/mnt-local
echo "# local: cp of a $MIB MiB file into a read-write mount of an own drive"
file_bytes "$SEED" "$SIZE" | tee "$SRC/source.bin" | sha256sum | cut -d' ' -f1 >"$WORK/want-local.sha"
WANT=$(cat "$WORK/want-local.sha")
new_drive "$LSTORE"
mount_drive "$K" "$LMNT" "store=$LSTORE,logfile=$LMNT.log"
check_eq "local: mount exits 0 ($(msg))" 0 "$RC"
if is_mounted "$LMNT"; then
  t0=$(date +%s.%N)
  check "local: cp of the $MIB MiB file into the mount" timeout "$(scaled 300)" cp "$SRC/source.bin" "$LMNT/big"
  echo "# cp took $(seconds_since "$t0") s; store: $(used_bytes "$LSTORE") bytes; mount's peak memory: $(peak_memory "$LMNT")"
  rm -f "$SRC/source.bin"
  check_eq "local: stat -c %s /big" "$SIZE" "$(timeout "$(scaled 60)" stat -c %s "$LMNT/big" 2>&1)"
  drop_cached "$LMNT/big"
  sha_of "$LMNT/big"
  check_eq "local: sha256sum of /big through the mount ($TOOK s)" "$WANT" "$SHA"
  unmount_checked "$LMNT"
else
  fail "local: $LMNT is not in /proc/mounts"
fi
rm -f "$SRC/source.bin"

rc=0
got=$(timeout "$(scaled 300)" "$HYPERMOUNT" drive cat "$K" /big --store "$LSTORE" 2>"$WORK/cat.err" </dev/null |
  sha256sum | cut -d' ' -f1) || rc=$?
check_eq "local: drive cat /big | sha256sum$( [ "$rc" -eq 0 ] || echo " (exit $rc: $(head -c 200 "$WORK/cat.err"))")" "$WANT" "$got"
hm_ok drive stat "$K" /big --store "$LSTORE"
check_eq "local: drive stat /big: size" "$SIZE" "$(sed -n 's/^size: *//p' "$WORK/out")"

mount_drive "$K" "$LMNT" "store=$LSTORE,logfile=$LMNT.log2"
check_eq "local: remount exits 0 ($(msg))" 0 "$RC"
if is_mounted "$LMNT"; then
  check_eq "local, remounted: stat -c %s /big" "$SIZE" "$(timeout "$(scaled 60)" stat -c %s "$LMNT/big" 2>&1)"
  sha_of "$LMNT/big"
  check_eq "local, remounted: sha256sum of /big ($TOOK s)" "$WANT" "$SHA"
  echo "# store: $(used_bytes "$LSTORE") bytes; mount's peak memory: $(peak_memory "$LMNT")"
  unmount_checked "$LMNT"
else
  fail "local, remounted: $LMNT is not in /proc/mounts"
fi
echo "# total: $(seconds_since "$started") s"
finish
