#!/usr/bin/env bash
# The full test suite (README: "Testing"): installs what is missing, builds with warnings as
# errors, runs the unit, interop and fs suites, the same under ASan+UBSan, and bounded fuzzers.
# Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash .ci/install-deps || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0
# Adds the counts of one `meson test` run (read from its testlog) to the totals.
count() {
  local log=$1/meson-logs/testlog.json
  [ -f "$log" ] || { failed=$((failed + 1)); return; }
  local p f s
  p=$(grep -c '"result": "OK"' "$log" || true)
  f=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
  s=$(grep -c '"result": "SKIP"' "$log" || true)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_build() {  # name, meson setup args..., then -- and the suites to run
  local dir=$1; shift
  local setup=()
  while [ "$1" != "--" ]; do setup+=("$1"); shift; done
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    if ! meson setup --wipe "$dir" "${setup[@]}" >"$dir.setup.log" 2>&1 &&
       ! meson setup "$dir" "${setup[@]}" >"$dir.setup.log" 2>&1; then
      tail -n 20 "$dir.setup.log"
      echo "meson setup $dir FAILED"
      failed=$((failed + 1))
      return
    fi
  fi
  # ${targets[@]}: what to compile (default: everything).
  if ! meson compile -C "$dir" "${targets[@]}" >"$dir.compile.log" 2>&1; then
    tail -n 40 "$dir.compile.log"
    echo "build $dir FAILED"
    failed=$((failed + 1))
    return
  fi
  local suites=()
  for s in "$@"; do suites+=(--suite "$s"); done
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "${suites[@]}"
  count "$dir"
}

targets=()
run_build build -Dwerror=true -- unit interop fs
# GCC 12 reports false maybe-uninitialized warnings under the sanitizers, so no werror here.
run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -- unit interop
# The fuzz build compiles only the fuzz targets (and the libraries they need).
targets=(bitfield_rle_fuzz core_storage_fuzz wire_frame_fuzz trie_node_fuzz stat_fuzz drive_url_fuzz
  handshake_fuzz proof_fuzz)
CXX=clang++ run_build build-fuzz -Dfuzz=true -Db_lundef=false -- fuzz

echo "skipped: $skipped (each skip prints its reason above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
