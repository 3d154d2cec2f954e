#!/usr/bin/env bash
# Drive-engine benchmark (issue 4): every case of bench/drive_bench and bench/js/drive-bench.js in
# its own process, ours beside JS hyperdrive from the same run, with each case's peak RSS.
# usage: bash bench/drive_run.sh [BUILD_DIR] [DIR_FILES] [TREE_FILES] [FILE_MIB] [JS_TREE_FILES]
#   (defaults: build, 10000, 100000, 256, TREE_FILES). JS stacks: $DRIVE_BENCH_STACKS, default
#   "js-p8" (hyperdrive 10.21.0); "js-p8 js-p7" adds 10.8.16. Not part of the test verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dir_files=${2:-10000}
tree_files=${3:-100000}
file_mib=${4:-256}
js_tree_files=${5:-$tree_files}
stacks=${DRIVE_BENCH_STACKS:-js-p8}
[ -d "$build" ] || meson setup "$build" >/dev/null
meson compile -C "$build" bench/drive_bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs the cases of one group (create before stat and readdir, write before read) for one
# implementation; appends "FIGURE VALUE UNIT" lines to $work/<impl>.txt.
run_group() {
  local impl=$1 group=$2 n=$3; shift 3
  local store="$work/$impl-$group" c
  for c in "$@"; do
    if [ "$impl" = ours ]; then
      "$build/bench/drive_bench" "$c" "$store" "$n" >>"$work/$impl.txt"
    else
      node bench/js/drive-bench.js "$c" "$store" "$n" "tests/interop/$impl" >>"$work/$impl.txt"
    fi
  done
  rm -rf "$store"
}

start=$SECONDS
echo "== drive engine, no FUSE: $dir_files files in one folder, $tree_files-file tree" \
  "(JS: $js_tree_files), one $file_mib MiB file; folder $work"
echo "   create: one write_file per file; stat: lstat of every path in random order; readdir:" \
  "every folder, in a fresh process, then again warm; rss: peak of the case's process"
for impl in ours $stacks; do
  if [ "$impl" != ours ] && [ ! -d "tests/interop/$impl/node_modules" ]; then
    echo "JS figures skipped: tests/interop/$impl/node_modules is missing (bash .ci/install-deps)"
    continue
  fi
  t=$SECONDS
  tree_n=$tree_files
  if [ "$impl" != ours ]; then
    tree_n=$js_tree_files
    echo "# JS $(node -p "require('./tests/interop/$impl/node_modules/hyperdrive/package.json').version")" \
      >"$work/$impl.txt"
  fi
  run_group "$impl" dir "$dir_files" dir-create dir-stat dir-readdir
  run_group "$impl" tree "$tree_n" tree-create tree-stat tree-readdir
  run_group "$impl" file "$file_mib" file-write file-read
  echo "-- $impl: $((SECONDS - t)) s"
done

# One line per figure: rates compare as ours/JS, times and memory as JS/ours (above 1: ours better).
awk '
  FNR == 1 { file = FILENAME; files[++nfiles] = file }
  /^#/ { name[file] = substr($0, 3); next }
  { value[file, $1] = $2; unit[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++count] = $1 } }
  END {
    for (k = 1; k <= count; k++) {
      f = order[k]
      ours = value[files[1], f]
      line = sprintf("%-18s ours %9.1f %-7s", f, ours, unit[f])
      for (s = 2; s <= nfiles; s++) {
        js = value[files[s], f]
        if (js == "") continue
        ratio = (unit[f] == "ms" || unit[f] == "MiB") ? js / ours : ours / js
        line = line sprintf(" | %s %9.1f %-7s | ratio %5.1fx", name[files[s]], js, unit[f], ratio)
      }
      print line
    }
  }' "$work"/ours.txt $(for impl in $stacks; do [ -f "$work/$impl.txt" ] && echo "$work/$impl.txt"; done)
echo "-- total: $((SECONDS - start)) s"
