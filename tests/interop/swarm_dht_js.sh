#!/usr/bin/env bash
# Our DHT client against a private JS DHT (bootstrap.js with extra persistent nodes): we announce a
# topic and the JS client's lookup finds our port; a JS hyperdrive seeder announces its discovery
# key and our lookup finds its port; our persistent node joins the JS DHT and stores a JS
# announcement.
source "$(dirname "$0")/swarm_lib.sh"

start_js_bootstrap --extra 4
TOPIC=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')

# We announce; the JS lookup sees 127.0.0.1:<our port> (announced with port 0 = our source port).
start_hm_dht announce announce "$TOPIC" --bootstrap "$JS_BOOT"
check "our announce round completes against the JS DHT" \
  wait_for "$WORK/announce.out" '^announced [0-9a-f]{8}$' 90
harness probe.js --node "$JS_BOOT" lookup "$TOPIC" >"$WORK/probe.json" 2>"$WORK/probe.err" || true
check "the JS lookup finds our announced port $HM_PORT" \
  grep -q "{\"host\":\"127.0.0.1\",\"port\":$HM_PORT}" "$WORK/probe.json"
check "the JS bootstrap logged our announce" grep -q "announce ${TOPIC:0:8}" "$WORK/boot.err"

# A JS seeder announces its drive; our lookup finds its port.
start_js_seed "$JS_BOOT"
hm dht lookup "$SEED_DKEY" --bootstrap "$JS_BOOT"
check "our lookup of the JS seeder's discovery key succeeds (exit $RC: $(msg))" test "$RC" -eq 0
check "our lookup finds the JS seeder at 127.0.0.1:$SEED_PORT" \
  grep -q "^peer 127.0.0.1:$SEED_PORT via " "$WORK/out"

# A lookup of a topic nobody announced finds nothing and says so.
hm dht lookup "$(printf '%064d' 0)" --bootstrap "$JS_BOOT"
check "a lookup of an unannounced topic exits 3 (got $RC)" test "$RC" -eq 3

# Our lookup with a local address gets the local peer a JS announce left (swarm.md §4.2).
harness probe.js --node "$JS_BOOT" announce "$TOPIC" --port 5555 --local-address 192.168.1.7:4444 \
  >"$WORK/probe-announce.json" 2>&1 || true
hm dht lookup "$TOPIC" --bootstrap "$JS_BOOT" --local-address 192.168.9.9:1
check "our lookup finds the JS announce's port 5555" grep -q "^peer 127.0.0.1:5555 via" "$WORK/out"
check "our lookup rebuilds its local peer 192.168.1.7:4444" \
  grep -q "^peer 192.168.1.7:4444 via" "$WORK/out"

# Our persistent node joins the JS DHT: the JS nodes add it to their tables, and a JS announce
# is stored on it among the closest nodes (the JS lookup gets the record from our node).
start_hm_dht member --bootstrap "$JS_BOOT"
MEMBER_PORT=$HM_PORT
check "our persistent node bootstraps into the JS DHT" \
  wait_for "$WORK/member.out" '^dht bootstrapped: ([5-9]|[1-9][0-9]) nodes' 60
MEMBER_ID=$(sed -n 's/^dht node \([0-9a-f]*\) .*/\1/p' "$WORK/member.out")
check "the JS bootstrap adds our persistent node to its table" \
  wait_for "$WORK/boot.err" "add-node $MEMBER_ID" 30
TOPIC2=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
harness probe.js --node "$JS_BOOT" announce "$TOPIC2" --port 6666 >"$WORK/probe-announce2.json" 2>&1 || true
harness probe.js --node "$JS_BOOT" lookup "$TOPIC2" >"$WORK/probe2.json" 2>"$WORK/probe2.err" || true
check "the JS lookup gets the JS announce from our persistent node" \
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    process.exit(r.some(x => x.node.port === +process.argv[2] && x.peers.some(p => p.port === 6666)) ? 0 : 1)' \
  "$WORK/probe2.json" "$MEMBER_PORT"
finish
