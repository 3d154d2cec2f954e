#!/usr/bin/env bash
# The `hypertrie` extension, answering side: our `drive serve` (debug log) serves a drive with a
# folder of 300 files; JS hyperdrive of both stacks, a sparse replica in an empty store, lists it.
# JS hypertrie asks the server with the extension while it waits for trie nodes; the server must
# answer with cache messages naming the blocks the listing reads (at least its 300 entries'),
# and the listing must be complete. (Through a 100 ms delay a JS listing of 100 files from our
# server took 13.8 s without the answers and 0.73 s with them: bench, not asserted here.)
source "$(dirname "$0")/drive_lib.sh"

mkdir -p "$WORK/src/many"
for i in $(seq 0 299); do echo "file $i" >"$WORK/src/many/f$i.txt"; done
hm create "$WORK/src" --store "$WORK/served" -q
check "create of a folder of 300 files ($(msg))" [ "$RC" -eq 0 ]
KEY=$(sed -n 's|^hyper://||p' "$WORK/out" | head -n1)

for v in 7 8; do
  timeout 300 "$HYPERMOUNT" -d drive serve "$KEY" --listen 127.0.0.1:0 --protocol $v --store "$WORK/served" \
    >"$WORK/serve$v.out" 2>"$WORK/serve$v.err" &
  wait_for "$WORK/serve$v.out" '^listening on' 30 || fail "drive serve did not start: $(head -c 300 "$WORK/serve$v.err")"
  RC=0
  timeout $((120 * SCALE)) env NODE_PATH="$(jsdir $v)/node_modules" node "$JS_SHARED/drive-stat-sparse.js" \
    "$WORK/js$v" "$KEY" "127.0.0.1:$(port_of "$WORK/serve$v.out")" /many readdir >"$WORK/js$v.out" 2>"$WORK/js$v.err" || RC=$?
  check "JS (protocol $v) lists /many from our server (exit $RC: $(head -c 200 "$WORK/js$v.err"))" [ "$RC" -eq 0 ]
  check "JS (protocol $v) sees all 300 entries ($(cat "$WORK/js$v.out"))" [ "$(jget "$WORK/js$v.out" m.entries)" = 300 ]
  answers=$(grep -c 'hypertrie extension answered with [1-9]' "$WORK/serve$v.err" || true)
  check "the server answered JS (protocol $v)'s extension requests with cache messages ($answers)" [ "$answers" -gt 0 ]
  check "an answer names at least the listing's 300 entries (3 cache messages of up to 128)" \
    grep -q 'hypertrie extension answered with [3-9] cache messages' "$WORK/serve$v.err"
  stop_jobs  # one process at a time holds the store
done
finish
