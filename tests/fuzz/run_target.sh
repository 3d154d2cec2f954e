#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on its corpus folder, seeded first from the spec vectors
# when VECTORS exists (seeds are optional); a crashing input is written beside the corpus.
# Usage: EXE CORPUS_DIR VECTORS SECONDS [libFuzzer args]
set -euo pipefail
exe=$1 corpus=$2 vectors=$3 seconds=$4
shift 4
mkdir -p "$corpus"
if [ -d "$vectors" ] && command -v python3 >/dev/null; then
  python3 "$(dirname "$0")/make_seeds.py" "$vectors" "$corpus" "$(basename "$exe")"
fi
# libFuzzer exits 77 on a crash by default, which meson reads as a skip.
exec "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$(dirname "$corpus")/" "$@" "$corpus"
