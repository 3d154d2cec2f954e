#!/usr/bin/env bash
# The full test suite (README: "Testing"): installs what is missing; builds with GCC and warnings
# as errors and runs the unit, interop and fs suites; builds once more with clang, ASan+UBSan and
# fuzzing coverage and runs the unit and interop suites and bounded fuzzers there. Prints each
# phase's time and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash .ci/install-deps || { echo "0 passed, 1 failed"; exit 1; }
echo "# dependencies installed in $SECONDS s"

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

# build DIR SETUP_ARGS... : sets up (once) and compiles DIR; false (counted as a failure) if not
build() {
  local dir=$1; shift
  local started=$SECONDS
  if [ ! -f "$dir/build.ninja" ]; then
    if ! meson setup --wipe "$dir" "$@" >"$dir.setup.log" 2>&1 &&
       ! meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
      tail -n 20 "$dir.setup.log"
      echo "meson setup $dir FAILED"
      return 1
    fi
  fi
  if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
    tail -n 40 "$dir.compile.log"
    echo "build $dir FAILED"
    return 1
  fi
  echo "# $dir: set up and built in $((SECONDS - started)) s"
}

# run_tests DIR SUITE... : runs the suites of a built DIR and counts their results
run_tests() {
  local dir=$1; shift
  local started=$SECONDS
  local suites=()
  for s in "$@"; do suites+=(--suite "$s"); done
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "${suites[@]}"
  count "$dir"
  echo "# $dir: tests ran in $((SECONDS - started)) s"
}

# No debug information: -g made each file compile 45-55% longer (timed one at a time), and the
# tests read none.
if build build -Dwerror=true -Ddebug=false; then run_tests build unit interop fs; else failed=$((failed + 1)); fi
# One sanitizer build serves both the sanitized tests and the fuzzers (-Dfuzz=true compiles
# everything with ASan, UBSan and libFuzzer's coverage). Not beside the GCC tests: they are
# CPU-bound enough that a niced compile beside them made the whole run longer.
# Line tables only (30% less compile time than -g): enough for the sanitizers' symbolized reports.
if CXX=clang++ build build-san -Dfuzz=true -Db_lundef=false -Ddebug=false \
    -Dcpp_args=-gline-tables-only; then
  run_tests build-san unit interop fuzz
else
  failed=$((failed + 1))
fi

echo "skipped: $skipped (each skip prints its reason above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
