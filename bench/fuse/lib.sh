# Shared by bench/fuse_run.sh: timing, cache dropping, and FUSE mounts (foreground servers run as
# our own background children, or daemons found by PID), all unmounted and stopped by the EXIT trap.
# shellcheck shell=bash disable=SC2034  # SECONDS_TAKEN, MOUNT_PID: read by the caller

MOUNTS=()  # mount points to unmount at exit
PIDS=()    # processes to stop at exit, by PID

is_mounted() { grep -q " $1 fuse" /proc/mounts; }

# wait_mounted DIR PID : up to 120 s for DIR to appear in /proc/mounts while PID lives
wait_mounted() {
  local i
  for i in $(seq 1200); do
    is_mounted "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_mount DIR LOG COMMAND... : runs COMMAND (a foreground FUSE server for DIR) in the
# background and waits for the mount; sets MOUNT_PID. Exits the bench if it never comes up.
start_mount() {
  local dir=$1 log=$2; shift 2
  mkdir -p "$dir"
  "$@" >"$log" 2>&1 </dev/null &
  MOUNT_PID=$!
  MOUNTS+=("$dir")
  PIDS+=("$MOUNT_PID")
  if ! wait_mounted "$dir" "$MOUNT_PID"; then
    echo "mounting $dir failed: $*"; sed 's/^/  /' "$log" | tail -n 20
    exit 1
  fi
}

# start_daemon DIR LOG COMMAND... : runs COMMAND (a FUSE server that returns once DIR is mounted
# and goes on in the background, as users mount) and sets MOUNT_PID to that background process,
# found by its command line (DIR is in this run's own work folder, so only ours can match).
# Exits the bench if mounting failed.
start_daemon() {
  local dir=$1 log=$2; shift 2
  mkdir -p "$dir"
  MOUNTS+=("$dir")
  if ! "$@" >"$log" 2>&1 </dev/null || ! is_mounted "$dir"; then
    echo "mounting $dir failed: $*"; sed 's/^/  /' "$log" | tail -n 20
    exit 1
  fi
  MOUNT_PID=$(pgrep -n -x -f "$(printf '%s' "$*" | sed 's/[][\\.*^$+?(){}|]/\\&/g')")
  PIDS+=("$MOUNT_PID")
}

# stop_pid PID : SIGTERM, up to 10 s to exit, then SIGKILL
stop_pid() {
  local i
  kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

# stop_mount DIR PID : unmounts DIR (fusermount3 -u, lazily if busy), then waits for PID to exit
stop_mount() {
  if is_mounted "$1"; then
    timeout 60 fusermount3 -u "$1" 2>/dev/null || timeout 20 fusermount3 -uz "$1" 2>/dev/null || true
  fi
  for _ in $(seq 300); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$2"
  wait "$2" 2>/dev/null || true
}

cleanup() {
  local m p
  for m in "${MOUNTS[@]}"; do is_mounted "$m" && { fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true; }; done
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  for m in "${MOUNTS[@]}"; do is_mounted "$m" && { echo "still mounted: $m; keeping $WORK"; return; }; done
  [ -n "${KEEP:-}" ] && { echo "work folder kept: $WORK"; return; }
  if mountpoint -q "$WORK"; then umount "$WORK"; fi
  rm -rf "$WORK"
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# timed COMMAND... : runs COMMAND (output discarded), sets SECONDS_TAKEN; exits the bench if it fails
timed() {
  local start=$EPOCHREALTIME
  if ! "$@" >/dev/null 2>"$WORK/timed.err"; then
    echo "failed: $* ($(head -c 300 "$WORK/timed.err"))"; exit 1
  fi
  SECONDS_TAKEN=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
}

# div A B [DECIMALS] : A / B
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }

# peak_rss_mib PID : VmHWM of PID in MiB
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# median VALUE... : the median (the lower middle one of an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
