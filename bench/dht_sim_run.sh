#!/usr/bin/env bash
# The DHT at internet scale, by simulation: our unchanged DHT, announce/lookup and discovery code
# on a simulated network (virtual clock, per-link latency, loss, NAT kinds, churn) of N nodes in
# one process (tests/sim). Prints lookup hops beside log2 N, first-find time, lookups that find
# their announcer before churn, right after it and after the re-announce interval, datagrams
# per node per minute, and heap per node. No JS figure: the JS DHT cannot run 10,000 nodes in
# one process; log2 N is the reference. About 15 minutes for the default sizes on one core.
# usage: bash bench/dht_sim_run.sh [BUILD_DIR] [N...]   (default: build, 1000 3000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
[ -d "$build" ] || meson setup "$build" >/dev/null
meson compile -C "$build" bench/dht_sim_bench >/dev/null
echo "== DHT simulation"
"$build/bench/dht_sim_bench" "$@"
