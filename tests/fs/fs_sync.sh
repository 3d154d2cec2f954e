#!/usr/bin/env bash
# sync (no FUSE): a drive served by `drive serve` (with a drive mounted in it) is downloaded
# completely into an empty store, then exported with no peer and compared with its source; a
# second run fetches nothing; a subtree alone; progress lines and a bar on a terminal (a pty);
# a sync interrupted with SIGINT exits 6 and a rerun completes it; no reachable peer is exit 6;
# a key that is a local path is refused.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/make_tree.sh"
LIST="python3 $(dirname "$0")/tree_listing.py"
NET=(--mdns off --bootstrap none)

SRC=$WORK/src
S1=$WORK/s1
make_tree "$SRC"
mkdir -p "$WORK/src2"
for i in $(seq 1 30); do head -c 200000 /dev/urandom >"$WORK/src2/m$i.bin"; done
hm_ok create "$SRC" --store "$S1" -q
K=$(head -n1 "$WORK/out"); K=${K#hyper://}
hm_ok create "$WORK/src2" --store "$S1" -q
KM=$(head -n1 "$WORK/out")
hm_ok drive mount "$K" /mounted "$KM" --store "$S1"
BIG=$WORK/big  # for the interrupted sync below
mkdir -p "$BIG"
for i in $(seq 1 300); do head -c 1000000 /dev/urandom >"$BIG/f$i"; done
hm_ok create "$BIG" --store "$S1" -q
KB=$(head -n1 "$WORK/out")
serve_drive "$K" "$S1" || finish

# the whole drive, mounted drive included
S2=$WORK/s2
hm_ok sync "$K" --store "$S2" --peer "127.0.0.1:$PORT" "${NET[@]}"
check "sync says it is complete ($(msg))" grep -q '^sync: complete: ' "$WORK/err"
check "sync prints progress lines off a terminal" grep -q '^sync: .* files' "$WORK/err"
hm_ok export "$K" "$WORK/export" --store "$S2" -q
mkdir -p "$WORK/expected" && cp -a "$SRC/." "$WORK/expected/" && cp -a "$WORK/src2" "$WORK/expected/mounted"
check_files "a synced drive exports with no peer as its source (mount included)" \
  <($LIST "$WORK/expected" --no-root-times | grep -v '^mounted ') <($LIST "$WORK/export" --no-root-times | grep -v '^mounted ')
check "every core of the synced store verifies" verify_store "$S2"
hm_ok sync "hyper://$K" --store "$S2" --peer "127.0.0.1:$PORT" "${NET[@]}"
check "a second sync fetches no content ($(msg))" grep -q '(0 B fetched)' "$WORK/err"

# a subtree only: its files are here, others are not
S3=$WORK/s3
hm_ok sync "$K/docs/deep" --store "$S3" --peer "127.0.0.1:$PORT" "${NET[@]}" -q
check_eq "sync -q prints nothing" "" "$(cat "$WORK/out" "$WORK/err")"
hm_ok export "$K/docs/deep" "$WORK/sub" --store "$S3" -q
check_files "the synced subtree exports" <($LIST "$SRC/docs/deep" --no-root-times) <($LIST "$WORK/sub" --no-root-times)
hm export "$K/docs/two-blocks.bin" "$WORK/sub2" --store "$S3"
check "a file outside the subtree is not in the store (exit $RC)" test "$RC" -ne 0

# a bar on a terminal
python3 - "$HYPERMOUNT" "$K" "$WORK/s5" "$PORT" >"$WORK/pty.out" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "sync", sys.argv[2], "--store", sys.argv[3], "--peer",
                           "127.0.0.1:" + sys.argv[4], "--mdns", "off", "--bootstrap", "none"])
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(data.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
check_eq "sync on a terminal exits 0" 0 "$?"
check "sync on a terminal draws a bar with peers" grep -q $'\r\[#*.*1 peer' "$WORK/pty.out"

# SIGINT half way: exit 6; the rerun completes it and the result is whole
"$HYPERMOUNT" sync "$KB" --store "$WORK/s6" --peer "127.0.0.1:$PORT" "${NET[@]}" >"$WORK/int.out" 2>"$WORK/int.err" </dev/null &
IPID=$!
wait_until 60 bash -c "[ \$(du -sm '$WORK/s6' 2>/dev/null | cut -f1) -ge 30 ]" || fail "the big sync did not start"
kill -INT "$IPID"
wait "$IPID"; RCI=$?
if [ "$RCI" -eq 0 ]; then
  echo "note: the sync finished before SIGINT came"
else
  check_eq "SIGINT stops a sync with exit 6 ($(tail -c 200 "$WORK/int.err"))" 6 "$RCI"
  check "the interrupted sync says how to go on" grep -q 'run the same sync again' "$WORK/int.err"
  check "every core of the interrupted store verifies" verify_store "$WORK/s6"
  hm_ok sync "$KB" --store "$WORK/s6" --peer "127.0.0.1:$PORT" "${NET[@]}"
  check "the rerun fetches only the rest ($(msg))" bash -c "grep -q '^sync: complete: 300 files' '$WORK/err' && ! grep -q '(28[0-9].[0-9] MiB fetched)' '$WORK/err'"
fi
hm_ok export "$KB" "$WORK/big-out" --store "$WORK/s6" -q
check_files "the resumed sync holds the whole drive" <($LIST "$BIG" --no-root-times) <($LIST "$WORK/big-out" --no-root-times)

# no peer to reach: incomplete; a local path for a key: refused
hm sync "$K" --store "$WORK/s7" --peer 127.0.0.1:1 "${NET[@]}" --timeout 5
check "sync with no reachable peer exits 6 (exit $RC: $(msg))" test "$RC" -eq 6
hm sync "$SRC/hello.txt" --store "$WORK/s7" "${NET[@]}"
check "sync of a local file path is refused (exit $RC: $(msg))" bash -c "[ $RC -eq 2 ] && grep -q 'is a local file' '$WORK/err'"
hm sync "$K" "$K" --store "$WORK/s7" --peer 127.0.0.1:1 --protocol 9
check "sync with a bad --protocol is a usage error (exit $RC)" test "$RC" -eq 2
finish
