#!/usr/bin/env bash
# Big folders over the network, through the mount, on the first try. JS hyperdrive writes a drive
# of many small files into a store on a tmpfs this test mounts, and serves it on 127.0.0.1:
#   p8 (hyperdrive 10.21.0): /f300, /f5000, /f50000 (N files file-I) and /tree, 100,000 files in
#       100 folders dA x 10 subfolders sB x 100 files file-C (so a walk lists 1 + 100 + 1,000
#       folders, of 100, 10 and 100 entries);
#   p7 (hyperdrive 10.8.16): /f300 and /f5000.
# Every file holds its own path and a newline ("/f300/file-17\n"). Folders of up to 5,000 files
# are written with writeFile, one file after the other (more in flight gains nothing: hyperdrive
# takes a lock per write); /f50000 and /tree with make-big-drive.js's batches (one content append
# and one hypertrie batch per 2,000 files: the same trie nodes; the p8 drive takes 25-40 s so,
# 115 s with writeFile only, measured alone on 2 cores); HM_LARGE_WRITEFILE=1 writes every file
# with writeFile.
# An empty store mounts each drive by key with peer=: ls, ls -l, find, du and cat must give the
# whole answer at once (no retries), and each listing may take only about as many fetch batches
# as the trie is deep (batch_bound), read from the mount's root attribute
# user.hypermount.fetches (its first number) before and after. Then a fresh store
# mounts the p8 drive through delay-proxy.js (every chunk held 100 ms each way): ls of /f5000
# must list 5,000 names within the same bound of batches, and find of /tree, a walk, the whole
# tree in a few dozen (walk_bulk_bound; counts are checked, not times).
# Needs root (the tmpfs), node and the JS stacks (tests/interop/js-p7, js-p8: bash .ci/install-deps),
# getfattr. HM_TIMEOUT_SCALE=N multiplies every time limit (for slow builds, e.g. sanitizers).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

JS_SHARED=$(cd "$HERE/../interop/js" && pwd)
HM_JS_P7=${HM_JS_P7:-$(cd "$HERE/../interop" && pwd)/js-p7}
HM_JS_P8=${HM_JS_P8:-$(cd "$HERE/../interop" && pwd)/js-p8}
command -v node >/dev/null || skip "node is not installed"
command -v getfattr >/dev/null || skip "getfattr (attr) is not installed"
[ -d "$HM_JS_P8/node_modules/hyperdrive" ] || skip "no node_modules in $HM_JS_P8 (run: bash .ci/install-deps)"
[ -d "$HM_JS_P7/node_modules/hyperdrive" ] || skip "no node_modules in $HM_JS_P7 (run: bash .ci/install-deps)"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

SCALE=${HM_TIMEOUT_SCALE:-1}
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || { echo "FAIL: HM_TIMEOUT_SCALE='$SCALE' is not a positive whole number"; exit 1; }
scaled() { echo $(( $1 * SCALE )); }

# The fixture: folder sizes and the tree's shape (D folders x S subfolders x F files).
FOLDERS_P8=300,5000,50000
FOLDERS_P7=300,5000
TREE_D=100 TREE_S=10 TREE_F=100
TREE_FILES=$((TREE_D * TREE_S * TREE_F))
TREE_DIRS=$((1 + TREE_D + TREE_D * TREE_S))
DELAY_MS=100
DRIVE_ENTRIES_P8=$(( 300 + 5000 + 50000 + TREE_FILES ))
DRIVE_ENTRIES_P7=$(( 300 + 5000 ))

# levels N : ceil(log4 N), the depth of a hypertrie of N keys: it branches 4 ways (2 bits of a
# path component's hash) per level.
levels() {
  local n=$1 depth=0 reach=1
  while ((reach < n)); do reach=$((reach * 4)); depth=$((depth + 1)); done
  echo "$depth"
}
# batch_bound ENTRIES [DRIVE_ENTRIES] : the most fetch batches that listing one folder of ENTRIES
# entries may take in a mount whose store holds none of it yet, in a drive of DRIVE_ENTRIES keys
# (default: the p8 drive). Looking the folder up walks from the drive's head node down the trie
# of the whole drive, one node after the other (levels DRIVE_ENTRIES batches); its entries sit
# about levels ENTRIES below the folder's node, and the listing fetches a whole level per batch,
# not a node per batch; 2 more for the names whose own entry is looked up after the listing.
batch_bound() {
  echo $(( $(levels "$1") + $(levels "${2:-$DRIVE_ENTRIES_P8}") + 2 ))
}
# walk_bound : a walk of /tree (find, du) lists every folder of it once: the sum of batch_bound
# over those folders (/tree: D entries; each dA: S; each dA/sB: F)
walk_bound() {
  echo $(( $(batch_bound "$TREE_D") + TREE_D * $(batch_bound "$TREE_S") + TREE_D * TREE_S * $(batch_bound "$TREE_F") ))
}

# walk_bulk_bound : a walk through a store that lacks the tree takes along growing runs of
# the metadata from its second listing on (256 blocks, doubling), and the rest of it once they
# make an eighth of what is still absent: after at most 2 + log2(DRIVE_ENTRIES / 2,048)
# listings that lack nodes (man page, "Fetching"), each within batch_bound of a folder of the
# tree; 2 more for find's last lookups. (Counting only each folder's own nodes took hundreds.)
walk_bulk_bound() {
  local listings=2 reach=2048
  while ((reach < DRIVE_ENTRIES_P8)); do reach=$((reach * 2)); listings=$((listings + 1)); done
  echo $(( listings * $(batch_bound "$TREE_F") + 2 ))
}

# --- a tmpfs for every store (the JS stores and the mounts' stores); unmounted at exit
FS=$WORK/tmpfs
mkdir -p "$FS"
mount -t tmpfs -o size=3g,nr_inodes=100000,mode=0755 hm-fs-large "$FS" 2>"$WORK/tmpfs.err" ||
  skip "cannot mount a tmpfs: $(head -c 200 "$WORK/tmpfs.err")"
cleanup_large() {
  local m p
  for m in "${MOUNTS[@]}"; do unmount_quietly "$m"; done
  for p in "${PIDS[@]}"; do
    if [ -n "${p#*:}" ] && [ "$(start_of "${p%%:*}")" = "${p#*:}" ]; then stop_pid "${p%%:*}"; fi
  done
  if grep -q " $FS tmpfs" /proc/mounts; then
    if [ -n "${HM_KEEP:-}" ]; then
      echo "tmpfs (kept mounted): $FS"
    else
      # a mount daemon may still be closing its store after fusermount3 -u
      for _ in $(seq 100); do umount "$FS" 2>/dev/null && break; sleep 0.2; done
      grep -q " $FS tmpfs" /proc/mounts && { umount -l "$FS" 2>/dev/null || echo "could not unmount the tmpfs at $FS"; }
    fi
  fi
  cleanup
}
trap cleanup_large EXIT

# json FILE EXPR : EXPR (Python, `m` = the JSON of the first line of FILE) printed
json() { python3 -c 'import json, sys; m = json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- the JS drives, written and served by make-big-drive.js (both stacks at once)
# start_js V FOLDERS TREE : sets JPID
start_js() {
  local v=$1 jsd
  if [ "$v" = 7 ]; then jsd=$HM_JS_P7; else jsd=$HM_JS_P8; fi
  timeout "$(scaled 1800)" env NODE_PATH="$jsd/node_modules" node "$JS_SHARED/make-big-drive.js" "$FS/js$v" \
    --folders "$2" --tree "$3" --manifest "$WORK/manifest$v" --listen 0 ${HM_LARGE_WRITEFILE:+--batch 0} \
    >"$WORK/js$v.out" 2>"$WORK/js$v.err" </dev/null &
  JPID=$!
  track "$JPID"
}
started=$(date +%s)
start_js 8 "$FOLDERS_P8" "${TREE_D}x${TREE_S}x${TREE_F}"; JPID8=$JPID
start_js 7 "$FOLDERS_P7" ""; JPID7=$JPID
# js_listening V : make-big-drive.js of p$V has reported its port
js_listening() { grep -q '^listening on 127\.0\.0\.1:[0-9]*$' "$WORK/js$1.out"; }
# running PID : our child PID has not exited (an exited child not yet waited for is a zombie)
running() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }; [ "${st%% *}" != Z ]; }
for V in 8 7; do
  if [ "$V" = 8 ]; then pid=$JPID8; else pid=$JPID7; fi
  wait_until "$(scaled 600)" eval "js_listening $V || ! running $pid"
  if ! js_listening "$V"; then
    fail "p$V: make-big-drive.js did not write and serve its drive: $(tail -c 400 "$WORK/js$V.err")"
    finish
  fi
done
for V in 8 7; do
  echo "# p$V: hyperdrive $(json "$WORK/js$V.out" 'm["hyperdrive"]'): $(json "$WORK/js$V.out" 'm["files"]') files in" \
    "$(json "$WORK/js$V.out" 'round(m["total_seconds"], 1)') s ($(json "$WORK/js$V.out" \
    '", ".join("/%s %d in %.1f s (%s, %d files/s)" % (k, m["counts"][k], m["seconds"][k], m["how"][k], m["counts"][k] / max(m["seconds"][k], 0.001)) for k in m["counts"])'))"
done
echo "# both drives written and served $(( $(date +%s) - started )) s after the start (both stacks at once, on 2 cores)"
echo "# store sizes: $(du -sh "$FS/js8" | cut -f1) (p8), $(du -sh "$FS/js7" | cut -f1) (p7)"
K8=$(json "$WORK/js8.out" 'm["key"]'); PORT8=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/js8.out")
K7=$(json "$WORK/js7.out" 'm["key"]'); PORT7=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/js7.out")
TREE_BYTES=$(json "$WORK/js8.out" 'm["bytes"]["tree"]')
check_eq "p8: the JS drive holds $TREE_FILES files under /tree" "$TREE_FILES" "$(json "$WORK/js8.out" 'm["counts"]["tree"]')"

# --- fetch batches
# fetch_batches : the count of fetch batches the mount at $MNT has sent since it started, or
# "none: MESSAGE" when it cannot be read: the first number of user.hypermount.fetches of the root
# ("BATCHES BLOCKS").
fetch_batches() {
  local w
  w=$(timeout "$(scaled 30)" getfattr --absolute-names --only-values -n user.hypermount.fetches "$MNT" 2>&1)
  if [[ $w =~ ^([0-9]+)\ [0-9]+$ ]]; then echo "${BASH_REMATCH[1]}"; return; fi
  echo "none (getfattr: $(head -c 100 <<<"$w" | tr '\n' ' '))"
}
# measured LIMIT OUT CMD... : runs CMD (at most LIMIT s, scaled), stdout to OUT, stderr to
# OUT.err; sets LRC (its exit status), TOOK (seconds), B0 and B1 (fetch_batches before and after)
measured() {
  local limit=$1 out=$2 t0
  shift 2
  B0=$(fetch_batches)
  t0=$(date +%s.%N)
  LRC=0
  timeout "$(scaled "$limit")" "$@" >"$out" 2>"$out.err" </dev/null || LRC=$?
  TOOK=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
  B1=$(fetch_batches)
}
# why : what the last measured command said when it failed (empty if it exited 0)
why() {
  [ "$LRC" -eq 0 ] && return 0
  if [ "$LRC" -eq 124 ]; then echo -n " [timed out"; else echo -n " [exit $LRC: $(head -c 200 "$1.err" | tr '\n' ' ')"; fi
  echo "; mount log: $(tail -n 2 "$MNT.log" 2>/dev/null | head -c 300 | tr '\n' ' ')]"
}
# check_batches WHAT BOUND : the last measured command took at most BOUND fetch batches
check_batches() {
  if [[ $B0 =~ ^[0-9]+$ ]] && [[ $B1 =~ ^[0-9]+$ ]]; then
    check "$1 took $((B1 - B0)) fetch batches (bound $2)" test $((B1 - B0)) -le "$2"
  else
    fail "$1: no fetch-batch count (before: ${B0}; after: ${B1})"
  fi
}

# drive_entries V : the number of files in the p$V drive
drive_entries() { if [ "$1" == 7 ]; then echo "$DRIVE_ENTRIES_P7"; else echo "$DRIVE_ENTRIES_P8"; fi; }

# expected_ls_l V NAME : "NAME SIZE" for each file of folder NAME of the p$V drive, sorted
expected_ls_l() { awk '{ print $2, $1 }' "$WORK/manifest$1/$2.txt" | LC_ALL=C sort; }

# check_folder V NAME COUNT : ls, then ls -l, of MNT/NAME
check_folder() {
  local v=$1 name=$2 count=$3 out=$WORK/ls-$1-$2
  measured 180 "$out" ls "$MNT/$name"
  check_eq "p$v: ls /$name | wc -l (${TOOK} s)$(why "$out")" "$count" "$(wc -l <"$out")"
  check_batches "p$v: ls /$name" "$(batch_bound "$count" "$(drive_entries "$v")")"
  measured 180 "$out.l" ls -l "$MNT/$name"
  check_eq "p$v: ls -l /$name lists $count files (${TOOK} s)$(why "$out.l")" "$count" "$(grep -c '^-' "$out.l")"
  check_files "p$v: ls -l /$name: names and sizes" <(expected_ls_l "$v" "$name") \
    <(awk '/^-/ { print $9, $5 }' "$out.l" | LC_ALL=C sort)
  check_batches "p$v: ls -l /$name (after ls)" "$(batch_bound "$count" "$(drive_entries "$v")")"
}

# check_cat V PATH... : cat of each file gives its path and a newline
check_cat() {
  local v=$1 p
  shift
  for p in "$@"; do
    check_eq "p$v: cat $p" "$p" "$(timeout "$(scaled 120)" cat "$MNT$p" 2>&1)"
  done
}

# --- p8: an empty store mounts the drive from the JS peer
for V in 8 7; do
  if [ "$V" = 8 ]; then K=$K8 PORT=$PORT8; else K=$K7 PORT=$PORT7; fi
  MNT=$WORK/mnt$V
  echo "# p$V: hypermount mount hyper://$K from an empty store, peer=127.0.0.1:$PORT"
  mount_drive "hyper://$K" "$MNT" "store=$FS/m$V,peer=127.0.0.1:$PORT,logfile=$MNT.log"
  check_eq "p$V: mount from the JS peer exits 0 ($(msg))" 0 "$RC"
  is_mounted "$MNT" || { fail "p$V: $MNT is not in /proc/mounts"; continue; }
  b=$(fetch_batches)
  check "p$V: the mount tells its count of fetch batches (got '$b')" bash -c '[[ $1 =~ ^[0-9]+$ ]]' _ "$b"

  IFS=, read -ra folders <<<"$(if [ "$V" = 8 ]; then echo "$FOLDERS_P8"; else echo "$FOLDERS_P7"; fi)"
  for n in "${folders[@]}"; do check_folder "$V" "f$n" "$n"; done
  check_cat "$V" /f300/file-0 /f300/file-299 /f5000/file-4999 /f5000/file-1234

  if [ "$V" = 8 ]; then
    out=$WORK/find-tree
    measured 240 "$out" find "$MNT/tree" -type f
    check_eq "p$V: find /tree -type f | wc -l (${TOOK} s)$(why "$out")" "$TREE_FILES" "$(wc -l <"$out")"
    check_batches "p$V: find /tree (a walk of $TREE_DIRS folders)" "$(walk_bound)"
    # du counts the folders' own sizes too (all implicit folders, so all the same size)
    dirsize=$(timeout "$(scaled 60)" stat -c %s "$MNT/tree")
    measured 240 "$out.du" du -s --apparent-size -B1 "$MNT/tree"
    check_eq "p$V: du -s --apparent-size -B1 /tree = $TREE_BYTES bytes of files + $TREE_DIRS folders of ${dirsize:-?} (${TOOK} s)$(why "$out.du")" \
      "$((TREE_BYTES + TREE_DIRS * ${dirsize:-0}))" "$(cut -f1 "$out.du")"
    check_batches "p$V: du -s /tree (after find)" "$(walk_bound)"
    check_cat "$V" /f50000/file-0 /f50000/file-49999 /f50000/file-31337 /tree/d0/s0/file-0 \
      /tree/d99/s9/file-99 /tree/d42/s7/file-63
  fi
  unmount_checked "$MNT"
done

# --- p8 again, from a fresh store, through a proxy that holds every chunk DELAY_MS each way
timeout "$(scaled 1800)" node "$JS_SHARED/delay-proxy.js" "127.0.0.1:$PORT8" "$DELAY_MS" \
  >"$WORK/proxy.out" 2>"$WORK/proxy.err" </dev/null &
PROXY_PID=$!
track "$PROXY_PID"
if wait_until "$(scaled 30)" grep -q '^listening on 127\.0\.0\.1:[0-9]*$' "$WORK/proxy.out"; then
  PPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/proxy.out")
  MNT=$WORK/mnt-delay
  echo "# p8 through delay-proxy.js (${DELAY_MS} ms each way): peer=127.0.0.1:$PPORT"
  t0=$(date +%s)
  mount_drive "hyper://$K8" "$MNT" "store=$FS/m8-delay,peer=127.0.0.1:$PPORT,logfile=$MNT.log"
  check_eq "p8 delayed: mount through the proxy exits 0 ($(( $(date +%s) - t0 )) s; $(msg))" 0 "$RC"
  if is_mounted "$MNT"; then
    out=$WORK/ls-delay
    measured 180 "$out" ls "$MNT/f5000"
    check_eq "p8 delayed: ls /f5000 | wc -l (${TOOK} s)$(why "$out")" 5000 "$(wc -l <"$out")"
    check_files "p8 delayed: ls /f5000 names" <(expected_ls_l 8 f5000 | cut -d' ' -f1) "$out"
    check_batches "p8 delayed: ls /f5000" "$(batch_bound 5000)"
    check_cat "8 delayed" /f5000/file-4321
    out=$WORK/find-delay
    measured 300 "$out" find "$MNT/tree"
    check_eq "p8 delayed: find /tree | wc -l (${TOOK} s)$(why "$out")" "$((TREE_DIRS + TREE_FILES))" "$(wc -l <"$out")"
    check_batches "p8 delayed: find /tree (a walk: its first listings, then the metadata in bulk)" "$(walk_bulk_bound)"
    unmount_checked "$MNT"
  else
    fail "p8 delayed: $MNT is not in /proc/mounts"
  fi
  check "the proxy saw a connection" grep -q '^connection' "$WORK/proxy.out"
else
  fail "delay-proxy.js did not report a port: $(head -c 300 "$WORK/proxy.err")"
fi

check "p8: make-big-drive.js still serves" running "$JPID8"
check "p7: make-big-drive.js still serves" running "$JPID7"
finish
