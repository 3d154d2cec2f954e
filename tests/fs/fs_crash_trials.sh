#!/usr/bin/env bash
# Crash consistency at random points: 200 SIGKILLs (tests/fs/crash_trials.py) during core appends,
# drive puts, writes and renames through a mount, and clones; stores on a 1 GiB tmpfs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

FS=$WORK/fs
mkdir -p "$FS" "$WORK/mnt"
mount -t tmpfs -o size=1g hm-crash "$FS" 2>"$WORK/tmpfs.err" || skip "cannot mount a tmpfs: $(head -c 200 "$WORK/tmpfs.err")"
MOUNTS+=("$WORK/mnt")
trap 'unmount_quietly "$WORK/mnt"; umount "$FS" 2>/dev/null || true; cleanup' EXIT

# HM_CRASH_SEED replays a run; HM_CRASH_TRIALS=appends,puts,mount-writes,clones
SEED=${HM_CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
timeout 1200 python3 "$HERE/crash_trials.py" "$FS" "$WORK/mnt" "${HM_CRASH_TRIALS:-60,40,60,40}" "$SEED" ||
  fail "crash trials (replay with HM_CRASH_SEED=$SEED)"
finish
