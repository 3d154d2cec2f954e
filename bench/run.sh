#!/usr/bin/env bash
# Runs the benchmarks and prints each figure beside its reference from the same run: the
# single-core BLAKE2b ceiling, JS hypercore 8.14 / 9.12 (append, clone, sparse get latency),
# JS hyperdrive 10.21 (drive engine: bench/drive_run.sh; whole drives: bench/sync_run.sh), and
# the DHT simulation beside log2 N (bench/dht_sim_run.sh).
# Not part of the test verdict.
# usage: bash bench/run.sh [BUILD_DIR] [TOTAL_MIB]   (default: build, 256)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
total=${2:-256}
[ -d "$build" ] || meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "== append to disk ($total MiB per case, folder $dir)"
"$build/bench/append_bench" "$dir/core" "$total"
if [ -d tests/interop/js-p7/node_modules ]; then
  node bench/js/append-bench.js "$total" 20 "$dir" |
    node -e 'require("readline").createInterface({input: process.stdin}).on("line", l => {
      const r = JSON.parse(l)
      console.log(`${r.impl} append ${r.block_size / 1024}KiB blocks, ${r.batch} per batch: ${r.mb_per_s.toFixed(0)} MB/s`)
    })'
else
  echo "JS figures skipped: tests/interop/js-p7/node_modules is missing (bash .ci/install-deps)"
fi

echo "== replication over TCP loopback ($total MiB core, 64 KiB blocks)"
"$build/bench/replicate_bench" "$total" 64
if [ -d tests/interop/js-p8/node_modules ]; then
  for stack in js-p7 js-p8; do
    echo "-- JS to JS, $stack"
    node bench/js/replicate_js_bench.js "$total" 64 "tests/interop/$stack"
  done
fi

bash bench/drive_run.sh "$build" 10000 100000 "$total"
bash bench/fuse_run.sh "$build"
bash bench/remote_run.sh "$build" 10000 100x10x100 "$total"
bash bench/sync_run.sh "$build"
bash bench/dht_sim_run.sh "$build"
bash bench/utp_run.sh "$build"
