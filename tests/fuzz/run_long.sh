#!/usr/bin/env bash
# Builds the sanitizer build (clang, -Dfuzz=true; the one CI uses) and runs every tests/fuzz target for SECONDS each
# (default 600), on the build's corpora; prints each target's executions and a summary.
# Usage: tests/fuzz/run_long.sh [SECONDS] [BUILD_DIR]   Exit status 1 if any target failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
build=${2:-build-san}
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ meson setup "$build" -Dfuzz=true -Db_lundef=false || exit 1
fi
targets=()
for source in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$source" .cpp)"); done
meson compile -C "$build" "${targets[@]}" || exit 1
vectors=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "shared_dir"))')
[ -n "$vectors" ] || vectors=$(pwd)/../shared
summary=()
failed=0
for t in "${targets[@]}"; do
  log=$build/meson-logs/$t.long.log
  echo "== $t: ${seconds}s (log: $log)"
  tests/fuzz/run_target.sh "$build/tests/fuzz/$t" "$build/tests/fuzz/corpus/$t" \
    "$vectors/spec/vectors" "$seconds" >"$log" 2>&1
  status=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done )' "$log"
  runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log")
  if [ "$status" -eq 0 ]; then result=ok; else result="FAILED (exit $status)"; failed=1; fi
  [ "$status" -eq 0 ] || tail -n 40 "$log"
  summary+=("$(printf '%-20s %12s execs %8s/s  %s' "$t" "${runs:-?}" "${rate:-?}" "$result")")
done
echo "== summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"
exit "$failed"
