#!/usr/bin/env bash
# Remote reading over TCP loopback, cold stores: our mount beside JS hyperdrive reading the same
# drive from the same JS server, in one run. JS hyperdrive 10.21.0 (tests/interop/js-p8) writes
# with tests/interop/js/make-big-drive.js a drive holding /fN (FOLDER_ENTRIES files) and /tree
# (D folders x S subfolders x F files), then bench/js/remote-serve.js adds /big (FILE_MIB MiB)
# and serves it on 127.0.0.1. Every store lives on a tmpfs this script mounts. Each case starts
# from an empty store: ours a fresh `hypermount mount hyper://KEY -o store=,peer=` (timed once it
# is mounted), JS a fresh bench/js/remote-read.js process (timed once the drive's head is known):
#   ls -l /fN            ours: ls -l; JS: readdir, then lstat of each entry
#   find /tree           ours: find | wc -l; JS: readdir + lstat of each entry, recursively
#   cat /big             a sequential read of the whole file, MB/s; ours: dd of it to /dev/null,
#                        its bytes counted (JS: a read stream, its bytes counted)
#   clone of the content core   ours: hypermount core clone; JS: content.download of every block
#   ls -l /fN, find /tree and the clone through tests/interop/js/delay-proxy.js (DELAY_MS each
#     way, a fresh proxy per case)
# Then each stack from its own server: the JS server stopped, `hypermount drive serve` serves the
# same store and the cases above run again for ours, beside the JS figures from the JS server.
# Beside ours: the fetch batches (about one round trip each) and blocks the case took, from the
# mount's user.hypermount.fetches. Beside JS: the blocks it downloaded; through the proxy also its
# time in round trips (time / (2 x DELAY_MS), an upper bound). Ratio: JS time / ours (above 1:
# ours faster). A JS case that passes JS_TIMEOUT shows as "> JS_TIMEOUT s (timed out)". Our cat
# and clone rates from our own server are also held to the single-core BLAKE2b figure measured
# just before and just after each (bench/append_bench --blake2b): the machine's speed drifts
# within a run. (From the JS server, its CPU is the limit.)
# Not part of the test verdict; the binary is used as built (this script does not compile).
# usage (root): bash bench/remote_run.sh [BUILD_DIR] [FOLDER_ENTRIES] [TREE DxSxF] [FILE_MIB]
#   (defaults: build, 10000, 100x10x100, 256; FILE_MIB 0: no /big, no read or clone figures)
# env: JS_TIMEOUT=600 OURS_TIMEOUT=600 (seconds per case), DELAY_MS=100,
#   TMPFS_MIB (default the larger of 2048 and 3 x FILE_MIB + 512), KEEP=1 (keep the work folder)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
folder_entries=${2:-10000}
tree=${3:-100x10x100}
file_mib=${4:-256}
js_timeout=${JS_TIMEOUT:-600}
ours_timeout=${OURS_TIMEOUT:-600}
delay_ms=${DELAY_MS:-100}
tmpfs_mib=${TMPFS_MIB:-$((3 * file_mib + 512 > 2048 ? 3 * file_mib + 512 : 2048))}
stack=tests/interop/js-p8
bench_start=$EPOCHREALTIME

[[ $folder_entries =~ ^[1-9][0-9]*$ ]] || { echo "FOLDER_ENTRIES must be a positive number: $folder_entries"; exit 2; }
[[ $tree =~ ^([1-9][0-9]*)x([1-9][0-9]*)x([1-9][0-9]*)$ ]] || { echo "TREE must be DxSxF, e.g. 100x10x100: $tree"; exit 2; }
tree_d=${BASH_REMATCH[1]} tree_s=${BASH_REMATCH[2]} tree_f=${BASH_REMATCH[3]}
[[ $file_mib =~ ^[0-9]+$ ]] || { echo "FILE_MIB must be a number: $file_mib"; exit 2; }
tree_files=$((tree_d * tree_s * tree_f))
tree_entries=$((1 + tree_d + tree_d * tree_s + tree_files))  # what find prints: /tree, its folders, the files

skip() { echo "remote benchmark skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "it needs root (a tmpfs, FUSE mounts)"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
command -v node >/dev/null || skip "node is not installed"
command -v getfattr >/dev/null || skip "getfattr (attr) is not installed"
command -v fusermount3 >/dev/null || skip "fusermount3 is not installed"
[ -d "$stack/node_modules/hyperdrive" ] || skip "$stack/node_modules is missing (bash .ci/install-deps)"
[ -x "$build/src/cli/hypermount" ] || { echo "no $build/src/cli/hypermount: build it first (meson compile -C $build)"; exit 1; }
H=$(realpath "$build/src/cli/hypermount")
export NODE_PATH=$PWD/$stack/node_modules

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-remote-bench.XXXXXX")
FS=$WORK/fs
MOUNTS=()  # FUSE mount points to unmount at exit
PIDS=()    # PID:START of the processes we started (START: field 22 of /proc/PID/stat)

source tests/process_ids.sh  # start_of, track
source bench/cpu_time.sh  # cpu_over
# alive PID : PID is still the process we started (not exited, not a zombie, not reused)
alive() {
  local i p
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do  # the latest entry of PID
    p=${PIDS[i]}
    if [ "${p%%:*}" = "$1" ]; then
      [ -n "${p#*:}" ] && [ "$(start_of "$1")" = "${p#*:}" ] || return 1
      local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }
      # (an explicit status: a bare return in the EXIT trap gives the status from before the trap)
      if [ "${st%% *}" = Z ]; then return 1; else return 0; fi
    fi
  done
  return 1
}
# stop_pid PID : SIGTERM, up to 10 s to exit, then SIGKILL; only if PID is still ours
stop_pid() {
  local i
  alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null || true
  for i in $(seq 100); do alive "$1" || return 0; sleep 0.1; done
  if alive "$1"; then kill -KILL "$1" 2>/dev/null || true; fi
}
is_mounted() { grep -q " $1 fuse" /proc/mounts; }
tmpfs_mounted() { grep -q " $FS tmpfs" /proc/mounts; }

cleanup() {
  local m p left=0
  for m in "${MOUNTS[@]}"; do
    is_mounted "$m" && { timeout 30 fusermount3 -u "$m" 2>/dev/null || timeout 10 fusermount3 -uz "$m" 2>/dev/null || true; }
  done
  for p in "${PIDS[@]}"; do stop_pid "${p%%:*}"; done
  for p in "${PIDS[@]}"; do alive "${p%%:*}" && wait "${p%%:*}" 2>/dev/null; done
  if tmpfs_mounted; then
    # a mount daemon may still be closing its store after fusermount3 -u
    for _ in $(seq 50); do umount "$FS" 2>/dev/null && break; sleep 0.2; done
    tmpfs_mounted && { umount -l "$FS" 2>/dev/null || { echo "could not unmount the tmpfs at $FS"; left=1; }; }
  fi
  for m in "${MOUNTS[@]}"; do is_mounted "$m" && { echo "still mounted: $m"; left=1; }; done
  if [ -n "${KEEP:-}" ] || [ "$left" -eq 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# secs START : seconds since $EPOCHREALTIME was START
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# fmt_s SECONDS : "0.123 s", "12.3 s"
fmt_s() { awk -v s="$1" 'BEGIN { printf (s < 10 ? "%.2f s" : "%.1f s"), s }'; }
# div A B [DECIMALS] : A / B
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }
# json FILE EXPR : EXPR (Python; m = the JSON object of the last line of FILE that holds one)
json() {
  python3 -c 'import json, sys
m = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
print(eval(sys.argv[2]))' "$1" "$2"
}
# first_line FILE : the first line of FILE, for messages
first_line() { head -n 3 "$1" 2>/dev/null | tr '\n' ' ' | head -c 300; }

# run LIMIT OUT COMMAND... : COMMAND under timeout LIMIT, as a tracked background child (so INT
# and TERM stop it at once), stdout to OUT, stderr to OUT.err; sets RC and TOOK (seconds)
run() {
  local limit=$1 out=$2 t0 pid
  shift 2
  t0=$EPOCHREALTIME
  timeout "$limit" "$@" >"$out" 2>"$out.err" </dev/null &
  pid=$!
  track "$pid"
  RC=0
  wait "$pid" || RC=$?
  TOOK=$(secs "$t0")
}
# why OUT : what the last run said when it failed
why() {
  if [ "$RC" -eq 124 ]; then echo "timed out"; else echo "exit $RC: $(first_line "$1.err")"; fi
}

# start_bg OUT COMMAND... : a tracked background server, stdout to OUT, stderr to OUT.err; sets BG_PID
start_bg() {
  local out=$1
  shift
  "$@" >"$out" 2>"$out.err" </dev/null &
  BG_PID=$!
  track "$BG_PID"
}
# wait_port OUT PID LIMIT : waits for "listening on 127.0.0.1:PORT" in OUT while PID runs; sets PORT
wait_port() {
  local i
  PORT=
  for ((i = 0; i < $3 * 10; i++)); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1")
    [ -n "$PORT" ] && return 0
    alive "$2" || return 1
    sleep 0.1
  done
  return 1
}

# fetches : the mount's "BATCHES BLOCKS" (user.hypermount.fetches of its root), or "? ?"
fetches() {
  local w
  w=$(timeout 30 getfattr --absolute-names --only-values -n user.hypermount.fetches "$MNT" 2>/dev/null) || true
  if [[ $w =~ ^[0-9]+\ [0-9]+$ ]]; then echo "$w"; else echo "? ?"; fi
}
# fetched BEFORE AFTER : "B batches, N blocks" between two fetches readings
fetched() {
  local b0=${1% *} n0=${1#* } b1=${2% *} n1=${2#* }
  if [[ $b0$b1 =~ ^[0-9]+$ ]]; then echo "$((b1 - b0)) batches, $((n1 - n0)) blocks"; else echo "no fetch count"; fi
}

# mount_fresh NAME PORT : mounts the drive at $WORK/mnt-NAME from a new store $FS/store-NAME with
# peer=127.0.0.1:PORT (in the foreground, as our tracked child); sets MNT, MPID, UP (seconds
# from launch to mounted); false if it did not come up within OURS_TIMEOUT
mount_fresh() {
  local t0 i
  MNT=$WORK/mnt-$1
  mkdir -p "$MNT" "$FS/store-$1"
  MOUNTS+=("$MNT")
  t0=$EPOCHREALTIME
  "$H" mount "hyper://$KEY" "$MNT" -f -o "store=$FS/store-$1,peer=127.0.0.1:$2" >"$MNT.log" 2>&1 </dev/null &
  MPID=$!
  track "$MPID"
  for ((i = 0; i < ours_timeout * 20; i++)); do
    is_mounted "$MNT" && { UP=$(secs "$t0"); return 0; }
    alive "$MPID" || break
    sleep 0.05
  done
  echo "mounting $MNT failed: $(tail -n 3 "$MNT.log" | tr '\n' ' ' | head -c 300)"
  return 1
}
# unmount_fresh NAME : unmounts $MNT, waits for its daemon to exit, removes its store
unmount_fresh() {
  local i
  is_mounted "$MNT" && { timeout 30 fusermount3 -u "$MNT" 2>/dev/null || timeout 10 fusermount3 -uz "$MNT" 2>/dev/null || true; }
  for ((i = 0; i < 300; i++)); do alive "$MPID" || break; sleep 0.1; done
  stop_pid "$MPID"
  wait "$MPID" 2>/dev/null || true
  rm -rf "$FS/store-$1"
}

FAILED=0
# ours_case NAME PORT COUNT_CHECK COMMAND... : on a fresh mount (MNT in COMMAND's words is replaced
# by the mount point), runs COMMAND, output to $WORK/NAME.out; sets OURS_S (empty on failure),
# OURS_NOTE ("B batches, N blocks" or why it failed), OURS_UP, OURS_SRV (the server's CPU
# seconds over the case); COUNT_CHECK: "lines REGEX N" (N lines of the output match) or "-"
ours_case() {
  local name=$1 port=$2 check=$3 before after w got
  shift 3
  OURS_S='' OURS_UP='' OURS_SRV='?'
  if ! mount_fresh "$name" "$port"; then
    OURS_NOTE="mount failed"; FAILED=1; unmount_fresh "$name"; return 0
  fi
  OURS_UP=$UP
  local args=()
  for w in "$@"; do args+=("${w//MNT/$MNT}"); done
  before=$(fetches)
  cpu_over "$SERVER" run "$ours_timeout" "$WORK/$name.out" "${args[@]}"
  OURS_SRV=$CPU_OVER
  after=$(fetches)
  if [ "$RC" -ne 0 ]; then
    OURS_NOTE="failed: $(why "$WORK/$name.out")"; FAILED=1
  else
    read -r kind what n <<<"$check"
    case $kind in
      lines) got=$(grep -c -- "$what" "$WORK/$name.out" || true) ;;
      *) got=$n ;;
    esac
    if [ "$got" != "$n" ]; then
      OURS_NOTE="WRONG: $got instead of $n"; FAILED=1
    else
      OURS_S=$TOOK OURS_NOTE=$(fetched "$before" "$after")
    fi
  fi
  unmount_fresh "$name"
}

# js_case NAME PORT EXPECT ARGS... : bench/js/remote-read.js ARGS in a fresh process and store
# (CASE STORE KEY HOST:PORT PATH: STORE and KEY filled in), bounded by JS_TIMEOUT; EXPECT: a Python
# test of its JSON m; sets JS_S (empty if it did not finish), JS_NOTE, JS_OUT (its JSON output),
# JS_SRV (the JS server's CPU seconds over the case)
js_case() {
  local name=$1 port=$2 expect=$3 kase=$4
  shift 4
  JS_S='' JS_NOTE='' JS_SRV='?' JS_OUT=$WORK/js-$name.out
  cpu_over "$SERVER" run "$js_timeout" "$JS_OUT" node bench/js/remote-read.js "$kase" "$FS/js-$name" "$KEY" "127.0.0.1:$port" "$@"
  JS_SRV=$CPU_OVER
  rm -rf "$FS/js-$name"
  if [ "$RC" -eq 124 ]; then
    JS_NOTE="> $js_timeout s (timed out)"
  elif [ "$RC" -ne 0 ] || ! grep -q '^{' "$JS_OUT"; then
    JS_NOTE="failed ($(why "$JS_OUT"))"
  elif [ "$(json "$JS_OUT" "$expect")" != True ]; then
    JS_NOTE="WRONG ($(json "$JS_OUT" "$expect"): $(first_line "$JS_OUT"))"
  else
    JS_S=$(json "$JS_OUT" 'round(m["seconds"], 4)')
  fi
}

# ratio : "Rx" = JS time / ours, "> Rx" when JS timed out, "?" when either failed
ratio() {
  if [ -n "$OURS_S" ] && [ -n "$JS_S" ]; then echo "$(div "$JS_S" "$OURS_S" 1)x"
  elif [ -n "$OURS_S" ] && [[ $JS_NOTE == '>'* ]]; then echo "> $(div "$js_timeout" "$OURS_S" 1)x"
  else echo "?"; fi
}
# ours_text / js_text : "1.23 s (NOTE)" or the failure
ours_text() { if [ -n "$OURS_S" ]; then echo "$(fmt_s "$OURS_S") ($OURS_NOTE)"; else echo "$OURS_NOTE"; fi; }
js_text() { if [ -n "$JS_S" ]; then echo "$(fmt_s "$JS_S") ($(json "$JS_OUT" '"%d blocks" % sum(m["blocks"].values())')${1:+; $1})"; else echo "$JS_NOTE"; fi; }

# proxy_start : a fresh delay-proxy.js in front of the server; sets PPORT, PPID_
proxy_start() {
  start_bg "$WORK/proxy.out" node tests/interop/js/delay-proxy.js "127.0.0.1:$SPORT" "$delay_ms"
  PPID_=$BG_PID
  wait_port "$WORK/proxy.out" "$PPID_" 30 || { echo "delay-proxy.js did not start: $(first_line "$WORK/proxy.out.err")"; exit 1; }
  PPORT=$PORT
}
proxy_stop() { stop_pid "$PPID_"; wait "$PPID_" 2>/dev/null || true; }

# --- the header
mkdir -p "$FS"
mount -t tmpfs -o "size=${tmpfs_mib}m,mode=0755" hm-remote-bench "$FS" 2>"$WORK/tmpfs.err" ||
  skip "cannot mount a tmpfs: $(first_line "$WORK/tmpfs.err")"
echo "== remote reading over TCP loopback, cold stores: ours (a FUSE mount) vs JS hyperdrive" \
  "$(node -p 'require("hyperdrive/package.json").version') (js-p8), both from the same JS server"
echo "hypermount $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src fuse 2>/dev/null || echo '+uncommitted')," \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); stores on a ${tmpfs_mib} MiB tmpfs ($FS)"
if [ -x "$build/bench/append_bench" ]; then
  # its first lines are the single-core BLAKE2b figures; the append cases after them are not waited for
  start_bg "$WORK/blake.out" stdbuf -oL "$build/bench/append_bench" "$FS/append" 256
  for _ in $(seq 600); do
    [ "$(grep -c '^blake2b' "$WORK/blake.out")" -ge 2 ] && break
    alive "$BG_PID" || break
    sleep 0.1
  done
  stop_pid "$BG_PID"; wait "$BG_PID" 2>/dev/null || true
  rm -rf "$FS/append"
  grep '^blake2b' "$WORK/blake.out" | tr '\n' ';' | sed 's/;$/\n/; s/;/; /g'
fi

# --- the fixture
echo "-- fixture: /f$folder_entries ($folder_entries files), /tree (${tree_d}x${tree_s}x${tree_f}: $tree_files files)$( [ "$file_mib" -gt 0 ] && echo ", /big ($file_mib MiB)")"
run 1800 "$WORK/make.out" node tests/interop/js/make-big-drive.js "$FS/src" --folders "$folder_entries" --tree "$tree"
[ "$RC" -eq 0 ] || { echo "make-big-drive.js failed: $(why "$WORK/make.out")"; exit 1; }
echo "make-big-drive.js: $(json "$WORK/make.out" 'm["files"]') files in $(fmt_s "$TOOK") ($(json "$WORK/make.out" \
  '", ".join("/%s %s" % (k, m["how"][k]) for k in m["counts"])'))"
start_bg "$WORK/serve.out" node bench/js/remote-serve.js "$FS/src" "$file_mib"
SERVER=$BG_PID
wait_port "$WORK/serve.out" "$SERVER" 1800 || { echo "remote-serve.js did not start: $(first_line "$WORK/serve.out.err")"; exit 1; }
SPORT=$PORT
KEY=$(json "$WORK/serve.out" 'm["key"]')
CONTENT_KEY=$(json "$WORK/serve.out" 'm["content_key"]')
big_bytes=$(json "$WORK/serve.out" 'm["big_bytes"]')
big_note=
[ "$file_mib" -gt 0 ] && big_note=" (/big written in $(fmt_s "$(json "$WORK/serve.out" 'm["big_seconds"]')"))"
echo "served by remote-serve.js on 127.0.0.1:$SPORT: version $(json "$WORK/serve.out" 'm["version"]'), store $(du -sh "$FS/src" | cut -f1)$big_note"
echo "each case from an empty store; ours: a fresh mount, timed once mounted; JS: a fresh process, timed once the drive's head is known"
echo

# --- the figures
# js_up : the last JS case's seconds from connecting to knowing the drive's head
js_up() { if [ -n "$JS_S" ]; then json "$JS_OUT" 'round(m["connect_s"], 3)'; fi; }
# figure LABEL OURS JS RATIO : a case's line, then the JS server's CPU seconds while it served
# each side: serving is what bounds any reader of this server
figure() {
  printf '%-34s ours %s, JS %s: %s\n' "$1:" "$2" "$3" "$4"
  printf '%-34s %s s serving ours, %s s serving JS\n' "  the JS server's CPU:" "$OURS_SRV" "$JS_SRV"
}

# ours_clone PORT : the whole content core (every file's blocks) through PORT with hypermount core
# clone, timed from launch; sets OURS_S, OURS_NOTE, OURS_SRV and content_bytes
ours_clone() {
  OURS_S='' OURS_NOTE='' OURS_SRV='?'
  cpu_over "$SERVER" run "$ours_timeout" "$WORK/clone.out" "$H" core clone "$CONTENT_KEY" "$FS/clone" --peer "127.0.0.1:$1"
  OURS_SRV=$CPU_OVER
  content_bytes=
  if [ "$RC" -eq 0 ]; then
    content_bytes=$("$H" core info "$FS/clone" | awk '$1 == "byte-length:" { print $2 }')
    OURS_S=$TOOK OURS_NOTE="$(sed -n 's/^cloned: .* downloaded \([0-9]*\).*/\1 blocks/p' "$WORK/clone.out")"
  else
    OURS_NOTE="failed: $(why "$WORK/clone.out")"; FAILED=1
  fi
  rm -rf "$FS/clone"
}
# blake_now : the single-core BLAKE2b figure (MB/s, 64 KiB chunks) measured now, or nothing
blake_now() { [ -x "$build/bench/append_bench" ] && "$build/bench/append_bench" --blake2b 256 2>/dev/null || true; }
# beside CASE... : runs CASE between two BLAKE2b figures (the machine's speed drifts within a run,
# so the ceiling a rate is held to is the one measured beside it); sets BLAKE_BEFORE, BLAKE_AFTER
beside() {
  BLAKE_BEFORE=$(blake_now)
  "$@"
  BLAKE_AFTER=$(blake_now)
}
# blake_line MB : the line of our rate (MB megabytes in OURS_S seconds) over the BLAKE2b figures
# measured beside it
blake_line() {
  [ -n "$OURS_S" ] && [ -n "$BLAKE_BEFORE" ] && [ -n "$BLAKE_AFTER" ] || return 0
  local rate ceiling
  rate=$(div "$1" "$OURS_S" 0) ceiling=$(div $((BLAKE_BEFORE + BLAKE_AFTER)) 2 0)
  printf '%-34s %sx (%s MB/s over %s MB/s, the mean of %s just before and %s just after)\n' \
    "  ours / single-core BLAKE2b:" "$(div "$rate" "$ceiling" 2)" "$rate" "$ceiling" "$BLAKE_BEFORE" "$BLAKE_AFTER"
}
# clone_line LABEL [PRINT] : the figure of the last ours_clone and JS clone, printed by PRINT
# (figure, or own_figure)
clone_line() {
  local cmb print=${2:-figure}; cmb=$(div "${content_bytes:-0}" 1000000 3)
  "$print" "$1" "$( [ -n "$OURS_S" ] && echo "$(div "$cmb" "$OURS_S" 0) MB/s ($(fmt_s "$OURS_S"), $OURS_NOTE)" || echo "$OURS_NOTE")" \
    "$( [ -n "$JS_S" ] && echo "$(div "$cmb" "$JS_S" 0) MB/s ($(fmt_s "$JS_S"), $(json "$JS_OUT" 'm["blocks"]["content"]') blocks)" || echo "$JS_NOTE")" "$(ratio)"
}
# clone_figure LABEL PORT NAME : ours_clone beside JS with content.download of every block (its
# output in $WORK/js-NAME.out)
clone_figure() {
  ours_clone "$2"
  js_case "$3" "$2" "m['bytes'] == ${content_bytes:-m['bytes']}" clone
  clone_line "$1"
}
# keep_js NAME / use_js NAME : keeps the last JS case's figures, to print again beside ours later
declare -A KEPT_JS
keep_js() { KEPT_JS[$1]="$JS_S|$JS_NOTE|$JS_SRV|$JS_OUT"; }
use_js() { IFS='|' read -r JS_S JS_NOTE JS_SRV JS_OUT <<<"${KEPT_JS[$1]}"; }

ours_case ls "$SPORT" "lines ^- $folder_entries" ls -l "MNT/f$folder_entries"
up_ours=$OURS_UP
js_case ls "$SPORT" "m['entries'] == $folder_entries" ls "/f$folder_entries"
up_js=$(js_up)
figure "ls -l /f$folder_entries cold" "$(ours_text)" "$(js_text)" "$(ratio)"
keep_js ls

ours_case find "$SPORT" "lines . $tree_entries" find MNT/tree
js_case walk "$SPORT" "m['files'] == $tree_files and m['dirs'] == $((tree_entries - tree_files))" walk /tree
figure "find /tree cold ($tree_files files)" "$(ours_text)" "$(js_text)" "$(ratio)"
keep_js find

if [ "$file_mib" -gt 0 ]; then
  mb=$(div "$big_bytes" 1000000 3)
  # rate_text SECONDS TEXT : "N MB/s, TEXT" (TEXT alone when SECONDS is empty: a failure)
  rate_text() { if [ -n "$1" ]; then echo "$(div "$mb" "$1" 0) MB/s, $2"; else echo "$2"; fi; }
  ours_case cat "$SPORT" "lines ^${big_bytes}[[:space:]]bytes 1" sh -c "dd if=MNT/big of=/dev/null bs=1M 2>&1"
  js_case read "$SPORT" "m['bytes'] == $big_bytes" read /big
  figure "cat /big ($file_mib MiB) cold" "$(rate_text "$OURS_S" "$(ours_text)")" "$(rate_text "$JS_S" "$(js_text)")" "$(ratio)"
  keep_js cat

  clone_figure "clone of the content core" "$SPORT" clone
  keep_js clone
fi

rtt=$(div "$((2 * delay_ms))" 1000 3)
proxy_start
ours_case ls-delay "$PPORT" "lines ^- $folder_entries" ls -l "MNT/f$folder_entries"
up_ours_delay=$OURS_UP
proxy_stop
proxy_start
js_case ls-delay "$PPORT" "m['entries'] == $folder_entries" ls "/f$folder_entries"
up_js_delay=$(js_up)
proxy_stop
figure "ls -l /f$folder_entries cold, ${delay_ms} ms proxy" "$(ours_text)" \
  "$(js_text "$( [ -n "$JS_S" ] && echo "<= $(div "$JS_S" "$rtt" 0) round trips of $((2 * delay_ms)) ms")")" "$(ratio)"
keep_js ls-delay
proxy_start
ours_case find-delay "$PPORT" "lines . $tree_entries" find MNT/tree
proxy_stop
proxy_start
js_case walk-delay "$PPORT" "m['files'] == $tree_files and m['dirs'] == $((tree_entries - tree_files))" walk /tree
proxy_stop
figure "find /tree cold, ${delay_ms} ms proxy" "$(ours_text)" \
  "$(js_text "$( [ -n "$JS_S" ] && echo "<= $(div "$JS_S" "$rtt" 0) round trips of $((2 * delay_ms)) ms")")" "$(ratio)"
keep_js find-delay
if [ "$file_mib" -gt 0 ]; then
  proxy_start
  clone_figure "clone of the content core, ${delay_ms} ms proxy" "$PPORT" clone-delay
  keep_js clone-delay
  proxy_stop
fi
echo "time to mounted / to the drive's head (from the ls -l cases): loopback: ours ${up_ours:-?} s, JS ${up_js:-?} s;" \
  "${delay_ms} ms proxy: ours ${up_ours_delay:-?} s, JS ${up_js_delay:-?} s"

# --- each stack from its own server: the JS server stopped, hypermount drive serve serves the
# same store; ours read from it beside JS from the JS server (the JS figures above, again)
stop_pid "$SERVER"
wait "$SERVER" 2>/dev/null || true
start_bg "$WORK/ours-serve.out" "$H" drive serve "$KEY" --store "$FS/src" --listen 127.0.0.1:0
SERVER=$BG_PID
wait_port "$WORK/ours-serve.out" "$SERVER" 60 || { echo "drive serve did not start: $(first_line "$WORK/ours-serve.out.err")"; exit 1; }
SPORT=$PORT
echo
echo "-- each stack from its own server: ours from hypermount drive serve (same store, JS server stopped), JS from the JS server (above)"
# own_figure LABEL OURS JS RATIO : a case's line, then each server's CPU seconds while it served
own_figure() {
  printf '%-34s ours %s, JS %s: %s\n' "$1:" "$2" "$3" "$4"
  printf '%-34s %s s (ours serving ours), %s s (JS serving JS)\n' "  the servers' CPU:" "$OURS_SRV" "$JS_SRV"
}
ours_case ls "$SPORT" "lines ^- $folder_entries" ls -l "MNT/f$folder_entries"
use_js ls
own_figure "ls -l /f$folder_entries cold" "$(ours_text)" "$(js_text)" "$(ratio)"
ours_case find "$SPORT" "lines . $tree_entries" find MNT/tree
use_js find
own_figure "find /tree cold ($tree_files files)" "$(ours_text)" "$(js_text)" "$(ratio)"
if [ "$file_mib" -gt 0 ]; then
  beside ours_case cat "$SPORT" "lines ^${big_bytes}[[:space:]]bytes 1" sh -c "dd if=MNT/big of=/dev/null bs=1M 2>&1"
  use_js cat
  own_figure "cat /big ($file_mib MiB) cold" "$(rate_text "$OURS_S" "$(ours_text)")" "$(rate_text "$JS_S" "$(js_text)")" "$(ratio)"
  blake_line "$mb"
  beside ours_clone "$SPORT"
  use_js clone
  clone_line "clone of the content core" own_figure
  blake_line "$(div "${content_bytes:-0}" 1000000 3)"
fi
proxy_start
ours_case ls-delay "$PPORT" "lines ^- $folder_entries" ls -l "MNT/f$folder_entries"
proxy_stop
use_js ls-delay
own_figure "ls -l /f$folder_entries cold, ${delay_ms} ms proxy" "$(ours_text)" "$(js_text)" "$(ratio)"
proxy_start
ours_case find-delay "$PPORT" "lines . $tree_entries" find MNT/tree
proxy_stop
use_js find-delay
own_figure "find /tree cold, ${delay_ms} ms proxy" "$(ours_text)" "$(js_text)" "$(ratio)"
if [ "$file_mib" -gt 0 ]; then
  proxy_start
  ours_clone "$PPORT"
  proxy_stop
  use_js clone-delay
  clone_line "clone of the content core, ${delay_ms} ms proxy" own_figure
fi

stop_pid "$SERVER"
echo "remote_run.sh took $(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
[ "$FAILED" -eq 0 ] || { echo "some of our cases failed (see above)"; exit 1; }
