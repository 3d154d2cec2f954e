# Replication against the JS stack of one protocol version (sourced by replicate_js_p7.sh and
# replicate_js_p8.sh with V=7 or 8; not a test itself). Uses common.sh for the helpers.
# Every process is bounded by `timeout`, every wait by a deadline; ports are picked by the OS.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

JSDIR=${JSDIR:?}
[ -d "$JSDIR/node_modules/hypercore" ] || skip "no node_modules in $JSDIR (run: cd $JSDIR && npm ci)"

cleanup() {
  stop_jobs
  if [ -z "${HM_KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# block_shas DIR N: sha256 of blocks 0..N-1 read with `hypermount core get` ("ERR" if one fails)
block_shas() {
  local i
  for ((i = 0; i < $2; i++)); do
    { "$HYPERMOUNT" core get "$1" "$i" 2>/dev/null || echo ERR; } | sha256sum | cut -d' ' -f1
  done
}
port_of() { sed -n 's/^listening on 127\.0\.0\.1://p' "$1" | head -n1; }

# js_block_shas N SIZE: sha256 of the deterministic blocks serve-core.js --create writes
js_block_shas() {
  node -e '
    const crypto = require("crypto")
    const key = crypto.createHash("sha256").update("hm-replicate").digest().subarray(0, 16)
    for (let i = 0; i < +process.argv[1]; i++) {
      const iv = Buffer.alloc(16); iv.writeUInt32BE(i, 12)
      const c = crypto.createCipheriv("aes-128-ctr", key, iv)
      const b = Buffer.concat([c.update(Buffer.alloc(+process.argv[2] + (i % 7) * 100)), c.final()])
      console.log(crypto.createHash("sha256").update(b).digest("hex"))
    }' "$1" "$2"
}
# json_shas FILE: the "blocks" of a clone-core.js result, one "index sha" per line
json_shas() { jget "$1" 'Object.entries(m.blocks).map(([i, s]) => i + " " + s)'; }

N=300
SIZE=2000
js_block_shas $((N + 2)) $SIZE >"$WORK/js-shas"

# start_js_serve NAME ARGS...: serve-core.js in the background with a FIFO as stdin
start_js_serve() {
  local name=$1; shift
  mkfifo "$WORK/$name.in"
  timeout 300 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/serve-core.js" "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
  eval "exec {FD_$name}>\"\$WORK/\$name.in\""
}

echo "# v$V: JS serve-core.js (responder, live, $N blocks) <- our clone (initiator)"
start_js_serve jsserve "$WORK/js-core" --create $N --size $SIZE --listen 0
wait_for "$WORK/jsserve.out" '^listening on' 60 || fail "JS serve did not start"
KEY=$(sed -n 's/^key //p' "$WORK/jsserve.out")
PORT=$(port_of "$WORK/jsserve.out")

hm core clone "$KEY" "$WORK/full" --peer "127.0.0.1:$PORT"
check "full clone (auto) exits 0 ($(msg))" [ "$RC" -eq 0 ]
hm core info "$WORK/full"
check "full clone: length $N" [ "$(info_field length)" = "$N" ]
check "full clone: blocks-present $N" [ "$(info_field blocks-present)" = "$N" ]
hm core verify "$WORK/full"
check "full clone verifies ($(msg))" [ "$RC" -eq 0 ]
# One get for all blocks (sized as js_block_shas makes them): the JS serve must outlast it.
for ((i = 0; i < N; i++)); do echo $((SIZE + (i % 7) * 100)); done >"$WORK/sizes"
get_sha_sized "$WORK/full" "$WORK/sizes" $(seq 0 $((N - 1))) >"$WORK/full-shas"
check "full clone: every block matches the JS bytes" cmp -s "$WORK/full-shas" <(head -n $N "$WORK/js-shas")

hm core clone "$KEY" "$WORK/sparse" --peer "127.0.0.1:$PORT" --blocks 5,100-102 --protocol "$V"
check "sparse clone (--protocol $V) exits 0 ($(msg))" [ "$RC" -eq 0 ]
hm core info "$WORK/sparse"
check "sparse clone: length $N" [ "$(info_field length)" = "$N" ]
check "sparse clone: only the 4 blocks asked for (present $(info_field blocks-present))" [ "$(info_field blocks-present)" = "4" ]
for b in 5 100 101 102; do
  "$HYPERMOUNT" core get "$WORK/sparse" $b | sha256sum | cut -d' ' -f1 >"$WORK/one"
  check "sparse block $b matches" [ "$(cat "$WORK/one")" = "$(sed -n "$((b + 1))p" "$WORK/js-shas")" ]
done
RC=0; "$HYPERMOUNT" core get "$WORK/sparse" 6 >/dev/null 2>&1 || RC=$?
check "sparse: block 6 was not downloaded (get exits 3, got $RC)" [ "$RC" -eq 3 ]

echo "# v$V: live: JS appends reach our live clone"
timeout 120 "$HYPERMOUNT" core clone "$KEY" "$WORK/live" --peer "127.0.0.1:$PORT" --live >"$WORK/live.out" 2>"$WORK/live.err" &
LIVE_PID=$!
check "live clone catches up" wait_for "$WORK/live.out" "^length $N present $N\$"
eval "echo append >&\$FD_jsserve; echo append >&\$FD_jsserve"
check "JS appended 2 blocks" wait_for "$WORK/jsserve.out" "^appended $((N + 2))\$"
check "live clone received both appends" wait_for "$WORK/live.out" "^length $((N + 2)) present $((N + 2))\$"
kill -TERM $LIVE_PID; wait $LIVE_PID 2>/dev/null || true
hm core verify "$WORK/live"
check "live clone verifies ($(msg))" [ "$RC" -eq 0 ]
"$HYPERMOUNT" core get "$WORK/live" $((N + 1)) | sha256sum | cut -d' ' -f1 >"$WORK/one"
check "appended block $((N + 1)) matches" [ "$(cat "$WORK/one")" = "$(sed -n "$((N + 2))p" "$WORK/js-shas")" ]

echo "# v$V: our core serve (responder, --protocol $V) <- JS clone-core.js (initiator)"
OURS=$WORK/ours
"$HYPERMOUNT" core new "$OURS" >"$WORK/ours.key"
OKEY=$(cat "$WORK/ours.key")
for ((i = 0; i < 200; i++)); do printf 'block %d %*s\n' $i $((i * 37 % 900)) x; done |
  "$HYPERMOUNT" core append "$OURS" >/dev/null
block_shas "$OURS" 200 | awk '{print NR - 1 " " $0}' >"$WORK/ours-shas"
mkfifo "$WORK/ourserve.in"
timeout 120 "$HYPERMOUNT" core serve "$OURS" --listen 127.0.0.1:0 --protocol "$V" --append-stdin \
  <"$WORK/ourserve.in" >"$WORK/ourserve.out" 2>"$WORK/ourserve.err" &
SERVE_PID=$!
exec {FD_ours}>"$WORK/ourserve.in"
wait_for "$WORK/ourserve.out" '^listening on' || fail "our serve did not start"
OPORT=$(port_of "$WORK/ourserve.out")

RC=0; timeout 60 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/clone-core.js" "$OKEY" "$WORK/js-full" --peer "127.0.0.1:$OPORT" >"$WORK/js-full.json" 2>"$WORK/js-full.err" || RC=$?
check "JS full clone exits 0 (got $RC: $(head -c 300 "$WORK/js-full.err"))" [ "$RC" -eq 0 ]
check "JS full clone: 200 present" [ "$(jget "$WORK/js-full.json" m.present)" = "200" ]
check "JS full clone: blocks match ours" cmp -s <(json_shas "$WORK/js-full.json" | sort -n) "$WORK/ours-shas"

RC=0; timeout 60 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/clone-core.js" "$OKEY" "$WORK/js-sparse" --peer "127.0.0.1:$OPORT" --blocks 7,50-52 >"$WORK/js-sparse.json" 2>"$WORK/js-sparse.err" || RC=$?
check "JS sparse clone exits 0 (got $RC: $(head -c 300 "$WORK/js-sparse.err"))" [ "$RC" -eq 0 ]
check "JS sparse clone: 4 present" [ "$(jget "$WORK/js-sparse.json" m.present)" = "4" ]
check "JS sparse clone: 4 downloaded" [ "$(jget "$WORK/js-sparse.json" m.downloaded)" = "4" ]
check "JS sparse clone: blocks match ours" cmp -s <(json_shas "$WORK/js-sparse.json" | sort -n) <(grep -E '^(7|50|51|52) ' "$WORK/ours-shas")

echo "# v$V: live: our appends reach a live JS clone"
timeout 120 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/clone-core.js" "$OKEY" "$WORK/js-live" --peer "127.0.0.1:$OPORT" --live >"$WORK/js-live.out" 2>&1 &
check "JS live clone catches up" wait_for "$WORK/js-live.out" '^length 200 present 200$'
echo "first live line" >&$FD_ours
echo "second live line" >&$FD_ours
check "our serve appended 2 blocks" wait_for "$WORK/ourserve.out" '^appended 202$'
check "JS live clone received both appends" wait_for "$WORK/js-live.out" '^length 202 present 202$'

echo "# v$V: stopping both servers"
eval "exec {FD_ours}>&-"
kill -INT $SERVE_PID; RC=0; wait $SERVE_PID || RC=$?
check "our serve exits 0 on SIGINT (got $RC)" [ "$RC" -eq 0 ]
hm core verify "$OURS"
check "our served core has 202 verified blocks ($(msg))" grep -q "ok: 202 blocks verified" "$WORK/out"
eval "exec {FD_jsserve}>&-"
for p in $(jobs -p); do [ "$p" = "$SERVE_PID" ] || kill "$p" 2>/dev/null || true; done
sleep 0.5

echo "# v$V: roles swapped: our serve dials (initiator, auto) a JS clone that listens"
timeout 60 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/clone-core.js" "$OKEY" "$WORK/js-resp" --listen 0 >"$WORK/js-resp.out" 2>"$WORK/js-resp.err" &
wait_for "$WORK/js-resp.out" '^listening on' || fail "JS clone --listen did not start"
timeout 60 "$HYPERMOUNT" core serve "$OURS" --connect "127.0.0.1:$(port_of "$WORK/js-resp.out")" >"$WORK/dial.out" 2>"$WORK/dial.err" &
DIAL_PID=$!
check "JS responder clone got all 202 blocks" wait_for "$WORK/js-resp.out" '"present":202'
kill -INT $DIAL_PID 2>/dev/null || true

echo "# v$V: roles swapped: our clone listens (responder, --protocol $V), JS serve dials"
timeout 120 "$HYPERMOUNT" core clone "$KEY" "$WORK/resp" --listen 127.0.0.1:0 --protocol "$V" >"$WORK/resp.out" 2>"$WORK/resp.err" &
RESP_PID=$!
wait_for "$WORK/resp.out" '^listening on' || fail "our clone --listen did not start"
timeout 60 env NODE_PATH="$JSDIR/node_modules" node "$JS_SHARED/serve-core.js" "$WORK/js-core" --connect "127.0.0.1:$(port_of "$WORK/resp.out")" </dev/null >"$WORK/jsdial.out" 2>&1 &
RC=0; wait $RESP_PID || RC=$?
check "our responder clone exits 0 (got $RC: $(head -c 300 "$WORK/resp.err"))" [ "$RC" -eq 0 ]
hm core info "$WORK/resp"
check "our responder clone: $((N + 2)) present" [ "$(info_field blocks-present)" = "$((N + 2))" ]
hm core verify "$WORK/resp"
check "our responder clone verifies ($(msg))" [ "$RC" -eq 0 ]

finish
