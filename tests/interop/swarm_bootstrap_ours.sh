#!/usr/bin/env bash
# Our node as the bootstrap of a private DHT (`hypermount dht`): the JS DHT client pings it, walks
# it, announces and looks up through it; a JS seeder and a JS reader find each other through it
# and the reader reads a file from the seeder.
source "$(dirname "$0")/swarm_lib.sh"

start_hm_dht root --port 0
OURS=127.0.0.1:$HM_PORT
TOPIC=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')

harness probe.js --node "$OURS" ping >"$WORK/ping.json" 2>"$WORK/ping.err" || true
check "the JS client's ping gets our pong ($(head -c 200 "$WORK/ping.err"))" grep -q '"pong":{"host":"127.0.0.1"' "$WORK/ping.json"
harness probe.js --node "$OURS" find-node >"$WORK/find.json" 2>"$WORK/find.err" || true
check "the JS client's _find_node walk gets our response" grep -q "\"port\":$HM_PORT" "$WORK/find.json"
harness probe.js --node "$OURS" announce "$TOPIC" --port 5555 >"$WORK/ann.json" 2>"$WORK/ann.err" || true
check "the JS announce through our node succeeds ($(head -c 200 "$WORK/ann.err"))" grep -q '"ok":true' "$WORK/ann.json"
harness probe.js --node "$OURS" lookup "$TOPIC" >"$WORK/look.json" 2>"$WORK/look.err" || true
check "the JS lookup through our node finds the announced port" \
  grep -q '{"host":"127.0.0.1","port":5555}' "$WORK/look.json"
harness probe.js --node "$OURS" unannounce "$TOPIC" --port 5555 >"$WORK/unann.json" 2>&1 || true
harness probe.js --node "$OURS" lookup "$TOPIC" >"$WORK/look2.json" 2>&1 || true
check "after the JS unannounce the lookup finds nothing" \
  bash -c "! grep -q '\"port\":5555' '$WORK/look2.json'"

# A JS seeder and a JS reader meet through our bootstrap node only.
start_js_seed "$OURS"
timeout 120 node "$HM_SWARM_HARNESS/fetch.js" --key "$SEED_KEY" --bootstrap "$OURS" --file /hello.txt \
  --timeout 90 >"$WORK/fetch.out" 2>"$WORK/fetch.err" || true
check "the JS reader reads the JS seeder's file, found through our node ($(tail -c 300 "$WORK/fetch.err" | tr '\n' ' '))" \
  grep -q 'hello from the JS hyperdrive 10 seeder' "$WORK/fetch.out"
check "our node is still running" kill -0 "$(jobs -p | head -n1)"
finish
