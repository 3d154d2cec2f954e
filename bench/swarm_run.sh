#!/usr/bin/env bash
# Time to the first byte of a file found by key alone through a private DHT on loopback: a JS
# bootstrap node (shared harness) and a JS hyperdrive seeder announcing its drive; then, REPEAT
# times each, a JS reader (fetch.js, hyperswarm 2: its own figure from joining to the file) and
# our `hypermount mount hyper://KEY` from an empty store until `head -c1` of the file returns
# (FUSE mount included). Root (FUSE). Not part of the test verdict.
# usage: bash bench/swarm_run.sh [BUILD_DIR] [REPEAT]   (default: build, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeat=${2:-5}
H=$PWD/$build/src/cli/hypermount
R=${SHARED_DIR:-../shared}/reference/swarm
export NODE_PATH=$PWD/tests/interop/js-swarm/node_modules
[ -x "$H" ] || { echo "no $H: build it first (meson compile -C $build)"; exit 1; }
[ -d "$NODE_PATH" ] && [ -f "$R/seed.js" ] || { echo "needs the swarm harness and its node_modules (bash .ci/install-deps)"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-swarm-bench.XXXXXX")
# The mounts only read, but their stores still land on a tmpfs, never the machine's disk.
mount -t tmpfs -o size=256m hm-swarm-bench "$WORK"
PIDS=()
cleanup() {
  fusermount3 -u "$WORK/m" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  umount "$WORK" && rm -rf "$WORK"
}
trap cleanup EXIT
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

node "$R/bootstrap.js" --port 0 >"$WORK/boot.json" 2>"$WORK/boot.err" &
PIDS+=($!)
until grep -q '"bootstrap"' "$WORK/boot.json" 2>/dev/null; do sleep 0.1; done
BOOT=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/boot.json', 'utf8')).bootstrap")
node "$R/seed.js" --bootstrap "$BOOT" >"$WORK/seed.json" 2>"$WORK/seed.err" &
PIDS+=($!)
until grep -q 'announce flushed' "$WORK/seed.err" 2>/dev/null; do sleep 0.1; done
KEY=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/seed.json', 'utf8').split('\n')[0]).key")

echo "hypermount $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); DHT: JS bootstrap.js on $BOOT; the median of $repeat"
js=() ours=()
for ((r = 0; r < repeat; r++)); do
  node "$R/fetch.js" --key "$KEY" --bootstrap "$BOOT" --timeout 50 --file /hello.txt >/dev/null 2>"$WORK/fetch.err"
  js+=("$(grep -o '"ms":[0-9]*' "$WORK/fetch.err" | cut -d: -f2)")
  rm -rf "$WORK/st" && mkdir -p "$WORK/m"
  start=$EPOCHREALTIME
  "$H" mount "hyper://$KEY" "$WORK/m" -o "store=$WORK/st,mdns=off,bootstrap=$BOOT,fetch_timeout=30"
  head -c1 "$WORK/m/hello.txt" >/dev/null
  ours+=("$(ms_since "$start")")
  fusermount3 -u "$WORK/m"
done
j=$(median "${js[@]}") o=$(median "${ours[@]}")
echo "first byte by key, through the DHT: ours $o ms (mount command to head -c1), JS $j ms (fetch.js: join to file, process start left out); ours/JS $(awk -v a="$o" -v b="$j" 'BEGIN { printf "%.2f", a / b }')x"
