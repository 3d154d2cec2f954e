#!/usr/bin/env bash
# The FUSE benchmark of issue 5: our mount beside libfuse's passthrough_ll and the JS FUSE layer
# (hyperdrive-fuse 1.2.16 on hyperdrive 10.21.0), each figure beside its comparison, in one run.
# usage (root): bash bench/fuse_run.sh [BUILD_DIR]   (default: build)
# env: BIG_MIB=1024 DIRS=100 FILES_PER_DIR=100 MEDIUM_MIB=4 TTFB_FILES=5 REPEAT=3 SHARED_DIR=../shared KEEP=1
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
big_mib=${BIG_MIB:-1024}
dirs=${DIRS:-100}
per_dir=${FILES_PER_DIR:-100}
medium_mib=${MEDIUM_MIB:-4}
ttfb_files=${TTFB_FILES:-5}
repeat=${REPEAT:-3}
shared=${SHARED_DIR:-../shared}
bench_start=$EPOCHREALTIME
source bench/fuse/lib.sh
source bench/cpu_time.sh  # cpu_over, run_cpu

[ "$(id -u)" -eq 0 ] || { echo "FUSE benchmark skipped: it needs root (dropping the page cache, mounting)"; exit 0; }
[ -c /dev/fuse ] || { echo "FUSE benchmark skipped: /dev/fuse is missing"; exit 0; }
[ -d "$build" ] || meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null
H=$(realpath "$build/src/cli/hypermount")
cache=$(realpath "$build")/bench-cache
PT=$(bash bench/fuse/passthrough_ll.sh "$cache")
JS=()
if [ -d tests/interop/js-p8/node_modules ]; then
  jsf=$(bash bench/fuse/js_fuse.sh "$cache" "$shared")
  JS=(env LD_LIBRARY_PATH="$jsf/lib" PATH="$jsf/bin:$PATH" HM_JS_FUSE="$jsf" node bench/js/fuse-mount.js)
else
  echo "JS figures skipped: tests/interop/js-p8/node_modules is missing (bash .ci/install-deps)"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-fuse-bench.XXXXXX")
# Everything written through a mount lands on a tmpfs sized for the run, never the machine's disk.
# (each drive put keeps its bytes in its drive: REPEAT copies, beside a cp's drive)
mount -t tmpfs -o "size=$((big_mib * (2 * repeat + 2) + 2048))m" hm-fuse-bench "$WORK"
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "hypermount $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src fuse || echo '+uncommitted'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); each figure the median of $repeat"
echo "passthrough_ll: libfuse's example/passthrough_ll.c as Debian's libfuse3-dev ships it" \
  "$(dpkg-query -W -f='${source:Version}' libfuse3-dev), built against the system libfuse3 (multi-threaded, its defaults)"
[ ${#JS[@]} -gt 0 ] && echo "JS FUSE layer: hyperdrive-fuse 1.2.16 / fuse-native 2.2.6 (bundled libfuse 2.9) on hyperdrive 10.21.0 (js-p8)"

# The data: one big file, and a tree of small files (plus medium.bin) in a plain folder.
SRC=$WORK/src
mkdir -p "$SRC/tree"
head -c "$((big_mib << 20))" /dev/urandom >"$SRC/big.bin"
python3 bench/fuse/make_tree.py "$SRC/tree" "$dirs" "$per_dir" "$medium_mib"
files=$((dirs * per_dir + 1))
entries=$(find "$SRC/tree" | wc -l)
big_mb=$(div "$((big_mib << 20))" 1000000 0)

# rate_of AMOUNT COMMAND... : AMOUNT / the seconds COMMAND takes, REPEAT times; sets RATE (the median)
rate_of() {
  local amount=$1 r rates=()
  shift
  for ((r = 0; r < repeat; r++)); do
    timed "$@"
    rates+=("$(div "$amount" "$SECONDS_TAKEN" 0)")
  done
  RATE=$(median "${rates[@]}")
}

# drive_version STORE KEY : the length of the drive's metadata core (its version)
drive_version() {
  local keyfile
  find "$1" -name key -type f | while read -r keyfile; do
    "$H" core info "$(dirname "$keyfile")" | awk -v k="$2" '$1 == "key:" && $2 == k { found = 1 }
      found && $1 == "length:" { print $2 }'
  done
}

echo
echo "== 3. writing: cp of a $big_mib MiB file into an own drive mounted read-write, MB/s"
# Each cp goes into a new drive whose store is removed after it (the last one stays for the
# reads below), as the ceiling's core is. New memory is dear on some VMs (the host provides each
# page at its first touch), so the CPU seconds of each run are printed too.
cp_rates=() cp_cpus=() rss=0
for ((r = 0; r < repeat; r++)); do
  rm -rf "$WORK/F"
  KF=$("$H" drive create --store "$WORK/F")
  start_mount "$WORK/mf" "$WORK/mf.log" "$H" mount "hyper://$KF" "$WORK/mf" -o "store=$WORK/F" -f
  cpu_over "$MOUNT_PID" run_cpu cp "$SRC/big.bin" "$WORK/mf/big.bin" >"$WORK/cp.out"
  read -r wall cpu < <(tail -n1 "$WORK/cp.out")
  cp_rates+=("$(div "$big_mb" "$wall" 0)")
  cp_cpus+=("$(div "$CPU_OVER" 1 2)+$cpu")
  rss=$(printf '%s\n' "$rss" "$(peak_rss_mib "$MOUNT_PID")" | sort -n | tail -n1)
  stop_mount "$WORK/mf" "$MOUNT_PID"
done
cp_rate=$(median "${cp_rates[@]}")
# The ceiling: the core's own append (bench/append_bench) of as many bytes, from memory, in the
# batches a commit appends (16 blocks of 512 KiB, drive::Drive's kMaxBlockSize and
# kAppendBatchBlocks), into a core on this tmpfs.
append_rates=() append_cpus=()
for ((r = 0; r < repeat; r++)); do
  ran=$(run_cpu "$build/bench/append_bench" "$WORK/core" "$big_mib" 512 16)
  append_rates+=("$(head -n1 <<<"$ran" | awk '{ print $(NF - 1) }')")
  append_cpus+=("$(tail -n1 <<<"$ran" | cut -d' ' -f2)")
done
append_rate=$(median "${append_rates[@]}")
# What the memory alone allows a cp: the file's bytes read and written once into new pages of
# this tmpfs (dd), as a cp through the mount appends them to the core's data file as it writes.
once_rates=()
for ((r = 0; r < repeat; r++)); do
  timed dd if="$SRC/big.bin" of="$WORK/once" bs=1M status=none
  once_rates+=("$(div "$big_mb" "$SECONDS_TAKEN" 0)")
  rm -f "$WORK/once"
done
once_rate=$(median "${once_rates[@]}")
KP=$("$H" drive create --store "$WORK/P")
rate_of "$big_mb" "$H" drive put "$KP" /big.bin "$SRC/big.bin" --store "$WORK/P"
put_rate=$RATE
rm -rf "$WORK/P"
echo "cp into the mount:            $cp_rate  (ours/ceiling $(div "$cp_rate" "$append_rate" 2)x); peak RSS of the mount process $rss MiB (VmHWM)"
echo "append ceiling (core append): $append_rate  (as many bytes from memory, 16 blocks of 512 KiB per batch, as a commit appends them)"
echo "the file written once:        $once_rate  (dd into new tmpfs pages: the memory's own speed; ours/this $(div "$cp_rate" "$once_rate" 2)x)"
echo "CPU seconds of each run ($(nproc) cores): cp into the mount (mount process+cp) ${cp_cpus[*]}; append ceiling ${append_cpus[*]}"
echo "drive put (no FUSE):          $put_rate"

echo
echo "== 1. sequential read of the $big_mib MiB file (dd bs=1M), MB/s; cold: after drop_caches, warm: read again"
printf '%-52s %8s %8s\n' "" cold warm
# read_pair LABEL FILE [REF_COLD REF_WARM] : cold and warm reads of FILE; sets COLD and WARM
read_pair() {
  local r colds=() warms=()
  for ((r = 0; r < repeat; r++)); do
    drop_caches
    timed dd if="$2" of=/dev/null bs=1M
    colds+=("$(div "$big_mb" "$SECONDS_TAKEN" 0)")
    timed dd if="$2" of=/dev/null bs=1M
    warms+=("$(div "$big_mb" "$SECONDS_TAKEN" 0)")
  done
  COLD=$(median "${colds[@]}") WARM=$(median "${warms[@]}")
  if [ $# -eq 4 ]; then
    printf '%-52s %8s %8s   (%sx, %sx passthrough_ll; aim >= 0.9x)\n' "$1" "$COLD" "$WARM" \
      "$(div "$COLD" "$3" 2)" "$(div "$WARM" "$4" 2)"
  else
    printf '%-52s %8s %8s\n' "$1" "$COLD" "$WARM"
  fi
}
read_pair "native (no FUSE)" "$SRC/big.bin"
VF=$(drive_version "$WORK/F" "$KF")
for mode in default always; do
  if [ "$mode" = default ]; then
    pt_opts=() pt_label="(default: timeout=1, cache=auto)" ours="hyper://$KF" ours_label="hyper://KEY (no keep_cache)"
  else
    pt_opts=(-o cache=always) pt_label="-o cache=always" ours="hyper://$KF+$VF" ours_label="hyper://KEY+$VF (keep_cache)"
  fi
  start_mount "$WORK/mp" "$WORK/mp.log" "$PT" -f "${pt_opts[@]}" -o "source=$SRC" "$WORK/mp"
  read_pair "passthrough_ll $pt_label" "$WORK/mp/big.bin"
  stop_mount "$WORK/mp" "$MOUNT_PID"
  start_mount "$WORK/mf" "$WORK/mf.log" "$H" mount "$ours" "$WORK/mf" -o "store=$WORK/F" -f
  read_pair "ours $ours_label" "$WORK/mf/big.bin" "$COLD" "$WARM"
  if [ "$mode" = always ] && ! cmp -s "$SRC/big.bin" "$WORK/mf/big.bin"; then echo "WRONG CONTENT read through our mount"; fi
  stop_mount "$WORK/mf" "$MOUNT_PID"
done

echo
echo "== 2. listing $files files in $((dirs + 1)) folders ($entries entries), entries/s; a fresh mount each time, cold: after drop_caches"
KT=$("$H" drive create --store "$WORK/T")
start_mount "$WORK/mt" "$WORK/mt.log" "$H" mount "hyper://$KT" "$WORK/mt" -o "store=$WORK/T" -f
timed cp -r "$SRC/tree/." "$WORK/mt/"
echo "filling the drive: cp -r into the read-write mount: $(div "$files" "$SECONDS_TAKEN" 0) files/s ($SECONDS_TAKEN s)"
stop_mount "$WORK/mt" "$MOUNT_PID"
[ ${#JS[@]} -gt 0 ] && cp -a "$WORK/T" "$WORK/J"  # the same drive for JS, in a store of its own
# list LABEL DIR [daemon] [MOUNT_COMMAND...] : ls -lR and find -ls over DIR, each on a fresh
# mount (none without a command; "daemon": the command backgrounds itself once mounted) with the
# page cache dropped, REPEAT times; sets LS and FIND (entries/s, medians) and LS_ALL, FIND_ALL
# (every run)
list() {
  local label=$1 dir=$2 tool r out rates start=start_mount
  shift 2
  if [ "${1:-}" = daemon ]; then start=start_daemon; shift; fi
  for tool in ls find; do
    rates=()
    for ((r = 0; r < repeat; r++)); do
      if [ $# -gt 0 ]; then "$start" "$dir" "$WORK/list.log" "$@"; fi
      drop_caches
      if [ "$tool" = ls ]; then timed ls -lR "$dir"; else timed find "$dir" -ls; fi
      rates+=("$(div "$entries" "$SECONDS_TAKEN" 0)")
      if [ "$tool" = find ] && [ "$r" -eq 0 ]; then
        out=$(find "$dir" | wc -l)
        [ "$out" -eq "$entries" ] || echo "WRONG LISTING through $label: $out entries"
      fi
      if [ $# -gt 0 ]; then stop_mount "$dir" "$MOUNT_PID"; fi
    done
    if [ "$tool" = ls ]; then
      LS=$(median "${rates[@]}") LS_ALL="${rates[*]}"
    else
      FIND=$(median "${rates[@]}") FIND_ALL="${rates[*]}"
    fi
  done
}
# list_row LABEL : the figures of the last list
list_row() { printf '%-30s %8s %8s   (ls -lR: %s; find -ls: %s)\n' "$1" "$LS" "$FIND" "$LS_ALL" "$FIND_ALL"; }
printf '%-30s %8s %8s   (every run)\n' "" "ls -lR" "find -ls"
list native "$SRC/tree"
list_row "native (no FUSE)"
list passthrough_ll "$WORK/mp" "$PT" -f -o "source=$SRC/tree" "$WORK/mp"
list_row "passthrough_ll (default)"
pt_ls=$LS pt_find=$FIND
# with xattrs answered, as ours must (the default's ENOSYS stops the kernel asking for any)
list "passthrough_ll -o xattr" "$WORK/mp" "$PT" -f -o xattr -o "source=$SRC/tree" "$WORK/mp"
list_row "passthrough_ll -o xattr"
ptx_ls=$LS ptx_find=$FIND
if [ ${#JS[@]} -gt 0 ]; then
  list "the JS FUSE layer" "$WORK/mj" "${JS[@]}" "$WORK/J" "$KT" "$WORK/mj"
  list_row "JS FUSE layer"
  js_ls=$LS js_find=$FIND
fi
# as users mount (hypermount mount backgrounds itself once mounted), and in the foreground (-f)
for mode in background foreground; do
  if [ "$mode" = background ]; then
    list ours "$WORK/mt" daemon "$H" mount "hyper://$KT" "$WORK/mt" -o "store=$WORK/T"
  else
    list ours "$WORK/mt" "$H" mount "hyper://$KT" "$WORK/mt" -o "store=$WORK/T" -f
  fi
  list_row "ours hyper://KEY, $mode"
  echo "  ours/passthrough_ll: ls -lR $(div "$LS" "$pt_ls" 2)x, find -ls $(div "$FIND" "$pt_find" 2)x (aim >= 0.8x);" \
    "ours/passthrough_ll -o xattr: ls -lR $(div "$LS" "$ptx_ls" 2)x, find -ls $(div "$FIND" "$ptx_find" 2)x"
  [ ${#JS[@]} -gt 0 ] && echo "  ours/JS:             ls -lR $(div "$LS" "$js_ls" 1)x, find -ls $(div "$FIND" "$js_find" 1)x (aim >= 10x)"
done

echo
echo "== 4. time to first byte (head -c 1) of cold remote files, ms: the drive served by our drive serve on 127.0.0.1 (protocol 8), mounted from an empty store"
"$H" drive serve "$KT" --listen 127.0.0.1:0 --protocol 8 --store "$WORK/T" >"$WORK/serve.out" 2>&1 </dev/null &
PIDS+=("$!")
for _ in $(seq 100); do grep -q '^listening on' "$WORK/serve.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/serve.out")
[ -n "$port" ] || { echo "drive serve did not start: $(cat "$WORK/serve.out")"; exit 1; }
# ttfb LABEL DIR STORE MOUNT_COMMAND... : REPEAT times, from an empty STORE: launch to mounted,
# then the first byte of medium.bin and of TTFB_FILES small files in distinct folders; sets FIRST
ttfb() {
  local label=$1 dir=$2 store=$3 launched r i ups=() firsts=() small=()
  shift 3
  for ((r = 0; r < repeat; r++)); do
    rm -rf "$store"
    mkdir -p "$store"
    launched=$EPOCHREALTIME
    start_mount "$dir" "$WORK/ttfb.log" "$@"
    ups+=("$(awk -v a="$launched" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')")
    timed head -c 1 "$dir/medium.bin"
    firsts+=("$(div "$SECONDS_TAKEN" 0.001 1)")
    for ((i = 0; i < ttfb_files; i++)); do
      timed head -c 1 "$dir/$(printf 'd%03d/f%04d.txt' $(((i * dirs / ttfb_files + 1) % dirs)) $(((i + 1) % per_dir)))"
      small+=("$(div "$SECONDS_TAKEN" 0.001 1)")
    done
    cmp -s "$SRC/tree/d001/f0001.txt" "$dir/d001/f0001.txt" || echo "WRONG CONTENT through $label"
    stop_mount "$dir" "$MOUNT_PID"
  done
  FIRST=$(median "${firsts[@]}")
  printf '%-14s launch to mounted %5s; first byte: medium.bin %7s, a small file %7s\n' \
    "$label" "$(median "${ups[@]}")" "$FIRST" "$(median "${small[@]}")"
}
ttfb ours "$WORK/mr" "$WORK/B" "$H" mount "hyper://$KT" "$WORK/mr" -o "store=$WORK/B,peer=127.0.0.1:$port,protocol=8" -f
ours_ttfb=$FIRST
if [ ${#JS[@]} -gt 0 ]; then
  ttfb "JS FUSE layer" "$WORK/mjr" "$WORK/JB" "${JS[@]}" "$WORK/JB" "$KT" "$WORK/mjr" --peer "127.0.0.1:$port"
  echo "ours/JS, first byte of medium.bin: $(div "$ours_ttfb" "$FIRST" 2)x the time"
fi

echo
echo "fuse_run.sh took $(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
