#!/usr/bin/env bash
# Whole-drive transfers, ours beside JS hyperdrive 10.21.0 (tests/interop/js-p8) in one run:
#   import   `hypermount create SRC` vs bench/js/tree-import.js (JS mkdir/writeFile/symlink of
#            each entry in turn) of the same tree: FILES files in folders of 100, MIB MiB in all
#   sync     `hypermount sync KEY` into an empty store, from the JS seeder (the drive JS
#            imported, served by tree-import.js) and from ours (`hypermount drive serve`), vs
#            bench/js/full-download.js (JS hyperdrive's own drive.download('/')) from the JS seeder
# over TCP loopback. Everything lives on a tmpfs this script mounts; each download starts from an
# empty store that is removed after its case. Ratio: JS seconds / ours (above 1: ours faster).
# Not part of the test verdict; the binary is used as built (this script does not compile).
# usage (root): bash bench/sync_run.sh [BUILD_DIR] [FILES] [MIB]   (defaults: build 10000 1024)
# env: TMPFS_MIB (default 6 x MIB + 1024: source, two seeders, a download and its export), JS_TIMEOUT=1200 (seconds per JS case), KEEP=1
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
files=${2:-10000}
mib=${3:-1024}
tmpfs_mib=${TMPFS_MIB:-$((6 * mib + 1024))}
js_timeout=${JS_TIMEOUT:-1200}
stack=tests/interop/js-p8

skip() { echo "sync benchmark skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "it needs root (a tmpfs)"
command -v node >/dev/null || skip "node is not installed"
[ -d "$stack/node_modules/hyperdrive" ] || skip "$stack/node_modules is missing (bash .ci/install-deps)"
[ -x "$build/src/cli/hypermount" ] || { echo "no $build/src/cli/hypermount: build it first"; exit 1; }
[[ $files =~ ^[1-9][0-9]*$ && $mib =~ ^[1-9][0-9]*$ ]] || { echo "FILES and MIB must be positive numbers"; exit 2; }
H=$(realpath "$build/src/cli/hypermount")
export NODE_PATH=$PWD/$stack/node_modules

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-sync-bench.XXXXXX")
FS=$WORK/fs
PIDS=()
source tests/process_ids.sh  # start_of, track
source bench/cpu_time.sh  # cpu_over, run_cpu
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    if [ -n "${p#*:}" ] && [ "$(start_of "${p%%:*}")" = "${p#*:}" ]; then kill -TERM "${p%%:*}" 2>/dev/null || true; fi
  done
  sleep 0.5
  umount "$FS" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "work folder (kept): $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
mkdir -p "$FS"
mount -t tmpfs -o "size=${tmpfs_mib}m" hm-sync-bench "$FS"

# sync_case SEEDER_PID COMMAND... : runs COMMAND (a download), prints its wall seconds, its own
# CPU seconds and the seeder's CPU seconds over the same time
sync_case() {
  local seeder=$1
  shift
  cpu_over "$seeder" run_cpu "$@" >"$FS/sync_case.out" || return
  echo "$(tail -n1 "$FS/sync_case.out") $CPU_OVER"
}
# floor CLIENT_CPU SEEDER_CPU : the shortest wall time that much CPU work allows on this machine's
# cores, were both sides to keep every core busy all along (our client hashes on several threads)
floor() {
  python3 -c "import os, sys; print('%.2f' % ((float(sys.argv[1]) + float(sys.argv[2])) / os.cpu_count()))" "$1" "$2"
}
json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
# json_seconds LINE : the "seconds" field of a JSON line, to the hundredth as ours are printed
json_seconds() { python3 -c "import json,sys; print('%.2f' % json.loads(sys.argv[1])['seconds'])" "$1"; }
ratio() { python3 -c "import sys; print('%.1fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
# wait_port FILE : the port of the first "listening on 127.0.0.1:PORT" line of FILE (60 s at most)
wait_port() {
  local i
  for i in $(seq 600); do
    grep -q 'listening on 127.0.0.1:[0-9]*' "$1" 2>/dev/null && break
    sleep 0.1
  done
  sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -n1
}

echo "making the tree: $files files, $mib MiB"
python3 - "$FS/src" "$files" "$mib" <<'PY'
import os, sys
root, files, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mib * (1 << 20) // files
for i in range(files):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(size))
PY

echo "import: JS tree-import.js (then serving)"
timeout "$js_timeout" node bench/js/tree-import.js "$FS/src" "$FS/js-store" serve >"$WORK/js-seed.out" 2>"$WORK/js-seed.err" &
JS_PID=$!; track "$JS_PID"
port_js=$(wait_port "$WORK/js-seed.out")
[ -n "$port_js" ] || { echo "the JS import/seeder failed: $(head -c 400 "$WORK/js-seed.err")"; exit 1; }
js_line=$(head -n1 "$WORK/js-seed.out")
js_import_s=$(json_seconds "$js_line")
key_js=$(json "$js_line" key)
sync
echo "import: ours (create)"
t0=$EPOCHREALTIME
key_ours=$("$H" create "$FS/src" --store "$FS/ours" -q)
ours_import_s=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$EPOCHREALTIME")
key_ours=${key_ours#hyper://}

"$H" drive serve "$key_ours" --listen 127.0.0.1:0 --store "$FS/ours" >"$WORK/ours-seed.out" 2>"$WORK/ours-seed.err" &
OURS_PID=$!; track "$OURS_PID"
port_ours=$(wait_port "$WORK/ours-seed.out")

echo "sync: ours from the JS seeder"
ran=$(sync_case "$JS_PID" "$H" sync "$key_js" --store "$FS/dl" --peer "127.0.0.1:$port_js" --mdns off --bootstrap none -q)
read -r sync_js_s sync_js_cpu js_seed_cpu <<<"$ran"
"$H" export "$key_js" "$FS/check" --store "$FS/dl" -q
count=$(find "$FS/check" -type f | wc -l)
[ "$count" -eq "$files" ] || echo "WARNING: the drive synced from JS exports $count files, not $files"
rm -rf "$FS/dl" "$FS/check"
echo "sync: ours from our seeder"
ran=$(sync_case "$OURS_PID" "$H" sync "$key_ours" --store "$FS/dl" --peer "127.0.0.1:$port_ours" --mdns off --bootstrap none -q)
read -r sync_ours_s sync_ours_cpu ours_seed_cpu <<<"$ran"
rm -rf "$FS/dl"
echo "sync: JS drive.download('/') from the JS seeder"
cpu_over "$JS_PID" timeout "$js_timeout" node bench/js/full-download.js "$FS/jsdl" "$key_js" "127.0.0.1:$port_js" >"$FS/jsdl.out"
js_seed_for_js=$CPU_OVER
js_dl_line=$(tail -n1 "$FS/jsdl.out")
js_dl_s=$(json_seconds "$js_dl_line")
js_dl_blocks=$(json "$js_dl_line" blocks)
rm -rf "$FS/jsdl"
echo "sync: JS drive.download('/') from our seeder"
js_dl2_line=$(timeout "$js_timeout" node bench/js/full-download.js "$FS/jsdl" "$key_ours" "127.0.0.1:$port_ours" | tail -n1)
js_dl2_s=$(json_seconds "$js_dl2_line")
rm -rf "$FS/jsdl"

echo
echo "== whole drive: $files files, $mib MiB (tmpfs, loopback) =="
printf '%-44s %10s %10s %8s\n' case ours_s js_s js/ours
printf '%-44s %10s %10s %8s\n' "import a folder (create DIR / JS writeFile)" "$ours_import_s" "$js_import_s" "$(ratio "$js_import_s" "$ours_import_s")"
printf '%-44s %10s %10s %8s\n' "download from the JS seeder" "$sync_js_s" "$js_dl_s" "$(ratio "$js_dl_s" "$sync_js_s")"
printf '%-44s %10s %10s %8s\n' "download from our seeder (JS: from ours too)" "$sync_ours_s" "$js_dl2_s" "$(ratio "$js_dl2_s" "$sync_ours_s")"
printf '%-44s %10s %10s %8s\n' "ours from our seeder vs JS from JS" "$sync_ours_s" "$js_dl_s" "$(ratio "$js_dl_s" "$sync_ours_s")"
echo "JS download blocks: $js_dl_blocks; hyperdrive $(json "$js_line" hyperdrive)"
echo
echo "== where our downloads' time goes: CPU seconds over each download, and the shortest wall time"
echo "   that work allows on $(nproc) cores (floor: both sides' CPU seconds spread over every core);"
echo "   JS/floor is the most a download doing that work could reach against JS from JS here"
printf '%-44s %8s %10s %10s %8s %9s\n' case ours_s client_cpu seeder_cpu floor JS/floor
fl_js=$(floor "$sync_js_cpu" "$js_seed_cpu")
fl_ours=$(floor "$sync_ours_cpu" "$ours_seed_cpu")
printf '%-44s %8s %10s %10s %8s %9s\n' "download from the JS seeder" "$sync_js_s" "$sync_js_cpu" "$js_seed_cpu" "$fl_js" "$(ratio "$js_dl_s" "$fl_js")"
printf '%-44s %8s %10s %10s %8s %9s\n' "download from our seeder" "$sync_ours_s" "$sync_ours_cpu" "$ours_seed_cpu" "$fl_ours" "$(ratio "$js_dl_s" "$fl_ours")"
echo "the JS seeder's CPU seconds while JS downloads from it: $js_seed_for_js (its JS/that bound: $(ratio "$js_dl_s" "$js_seed_for_js"))"
