#!/usr/bin/env bash
# pjdfstest (POSIX conformance), every file including the slow rename/09.t and 10.t, over our
# read-write mount and over libfuse's passthrough_ll, each on a tmpfs: assertions passed per group.
# usage (root): bash bench/pjdfstest_run.sh [BUILD_DIR]   (default: build)
# env: SHARED_DIR=../shared GROUPS_ONLY="chmod link" (only those groups) KEEP=1 (keep the work folder)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shared=${SHARED_DIR:-../shared}
bench_start=$EPOCHREALTIME
source bench/fuse/lib.sh
source tests/pjdfstest.sh

[ "$(id -u)" -eq 0 ] || { echo "pjdfstest skipped: it needs root (the suite switches users; tmpfs mounts)"; exit 0; }
[ -c /dev/fuse ] || { echo "pjdfstest skipped: /dev/fuse is missing"; exit 0; }
[ -d "$shared/thirdparty/pjdfstest/tests" ] || { echo "pjdfstest skipped: no $shared/thirdparty/pjdfstest"; exit 0; }
missing=$(pjd_missing)
[ -z "$missing" ] || { echo "pjdfstest skipped: cannot build it without $missing (bash .ci/install-deps)"; exit 0; }
[ -d "$build" ] || meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null
H=$(realpath "$build/src/cli/hypermount")
PT=$(bash bench/fuse/passthrough_ll.sh "$(realpath "$build")/bench-cache")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-pjdfstest.XXXXXX")
TMPFS=()  # tmpfs mounts to remove at exit, after the FUSE mounts above them
# the FUSE mounts (lib.sh's cleanup, told to keep the folder), then the tmpfs under them, then
# the folder unless KEEP or something is still mounted in it
finish() {
  local keep=${KEEP:-} t
  KEEP=1 cleanup >/dev/null
  for t in "${TMPFS[@]}"; do umount "$t" 2>/dev/null || true; done
  if grep -q " $WORK/" /proc/mounts; then echo "still mounted under $WORK; keeping it"
  elif [ -n "$keep" ]; then echo "work folder kept: $WORK"
  else rm -rf "$WORK"
  fi
}
trap finish EXIT
trap 'exit 1' INT TERM

# tmpfs DIR SIZE : a tmpfs of SIZE at DIR, removed at exit
tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" hm-pjdfstest "$1"
  TMPFS=("$1" "${TMPFS[@]}")
}

suite=$WORK/pjdfstest
pjd_build "$shared/thirdparty/pjdfstest" "$suite" || { echo "building pjdfstest failed:"; tail -n 20 "$suite.log"; exit 1; }
mapfile -t files < <(pjd_files "$suite")
if [ -n "${GROUPS_ONLY:-}" ]; then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -E "^($(echo "$GROUPS_ONLY" | tr ' ' '|'))/")
fi
echo "hypermount $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src fuse || echo '+uncommitted'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pjdfstest $(sed -n 's/.*commit \([0-9a-f]*\).*/\1/p' "$shared/thirdparty/README.md" | head -n1) (${#files[@]} files), run as root from a folder of each mount (-o allow_other,default_permissions)"
echo "passthrough_ll: libfuse's example as Debian's libfuse3-dev $(dpkg-query -W -f='${source:Version}' libfuse3-dev) ships it, over a folder of a tmpfs"

# run_over LABEL DIR RESULTS : the suite in DIR/pjd (a mount), with the time it took
run_over() {
  local start=$EPOCHREALTIME
  mkdir "$2/pjd"
  pjd_run "$suite" "$2/pjd" "$3" "${files[@]}"
  echo "$1: $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s;" \
    "slowest: $(sort -k4,4gr "$3" | head -n 4 | awk '{ printf "%s %s s, ", $1, $4 }')"
}

# 1 GiB: the store only grows, and the whole suite appended about 400 MiB to it on 2026-12-03
# (rename/09.t and 10.t about 340 MiB of that)
tmpfs "$WORK/ours-fs" 1g
K=$("$H" drive create --store "$WORK/ours-fs/store")
start_daemon "$WORK/ours" "$WORK/ours.log" "$H" mount "$K" "$WORK/ours" -o "store=$WORK/ours-fs/store,allow_other,default_permissions"
run_over ours "$WORK/ours" "$WORK/ours.results"
echo "  store after the run: $(du -sh "$WORK/ours-fs/store" | cut -f1) of the 1 GiB tmpfs; the mount $(stat "$WORK/ours/pjd" >/dev/null 2>&1 && echo answers || echo "DOES NOT ANSWER")"
stop_mount "$WORK/ours" "$MOUNT_PID"

tmpfs "$WORK/pt-fs" 512m
start_mount "$WORK/pt" "$WORK/pt.log" "$PT" -f -o "source=$WORK/pt-fs" -o allow_other,default_permissions "$WORK/pt"
run_over passthrough_ll "$WORK/pt" "$WORK/pt.results"
stop_mount "$WORK/pt" "$MOUNT_PID"

echo
printf '%-16s %16s %16s\n' group ours passthrough_ll
join -a1 -a2 -e0 -o 0,1.2,1.3,2.2,2.3 <(pjd_groups "$WORK/ours.results") <(pjd_groups "$WORK/pt.results") |
  awk '{ printf "%-16s %16s %16s%s\n", $1, $2 "/" $3, $4 "/" $5, ($2 < $4 ? "   <" : "")
         p1 += $2; n1 += $3; p2 += $4; n2 += $5 }
       END { printf "%-16s %16s %16s\n", "total", p1 "/" n1, p2 "/" n2 }'
echo "(<: ours passes fewer; with KEEP=1, ours.results.fail and pt.results.fail in $WORK keep every failing assertion)"
echo
echo "pjdfstest_run.sh took $(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
