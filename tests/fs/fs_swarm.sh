#!/usr/bin/env bash
# A key is all you need: with no peer=, `hypermount mount hyper://KEY` finds a JS hyperdrive
# seeder (hyperswarm 2, the shared harness's seed.js) and reads it, and a JS reader (fetch.js)
# finds our read-write mount (listen=) and reads a file written through it, also one written
# after it joined (a mount on the swarm listens and announces unasked). Twice: on the LAN by multicast DNS (pinned to the loopback interface,
# mdns=127.0.0.1, as the harness pins it) with the DHT off, and through a private JS DHT
# (bootstrap.js on loopback) with mDNS off; a seeder of the protocol 7 stack through the DHT too.
# And `hypermount seed` found by a JS reader. A dead
# bootstrap node and an announced seeder that is gone end a mount with a message saying so.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
HM_JS_SWARM=${HM_JS_SWARM:-$(cd "$HERE/../interop" && pwd)/js-swarm}
HM_SWARM_HARNESS=${HM_SWARM_HARNESS:-$HERE/../../../shared/reference/swarm}
[ -f "$HM_SWARM_HARNESS/seed.js" ] || skip "no swarm harness at $HM_SWARM_HARNESS (shared/ beside the repository)"
[ -d "$HM_JS_SWARM/node_modules/hyperswarm" ] || skip "no node_modules in $HM_JS_SWARM (run: bash .ci/install-deps)"
export NODE_PATH=$HM_JS_SWARM/node_modules
T="timeout 60"
json() { node -p "JSON.parse(require('fs').readFileSync('$1', 'utf8').split('\n')[0]).$2"; }

node "$HM_SWARM_HARNESS/bootstrap.js" --port 0 >"$WORK/boot.json" 2>"$WORK/boot.err" </dev/null &
track $!
wait_until 60 grep -q '"bootstrap"' "$WORK/boot.json" || { fail "the JS bootstrap node did not start"; finish; }
BOOT=$(json "$WORK/boot.json" bootstrap)

# discover WAY OURS JS : WAY names the run; OURS our discovery options; JS the harness's
discover() {
  local way=$1 ours=$2 js=$3
  echo "# $way: our mount finds a JS seeder by key alone"
  # shellcheck disable=SC2086
  node "$HM_SWARM_HARNESS/seed.js" $js >"$WORK/$way-seed.json" 2>"$WORK/$way-seed.err" </dev/null &
  local seed=$!
  track $seed
  wait_until 60 grep -q '"key"' "$WORK/$way-seed.json" || { fail "the JS seeder did not start: $(tail -c 300 "$WORK/$way-seed.err")"; return; }
  [ "$way" == mdns ] || wait_until 60 grep -q 'announce flushed' "$WORK/$way-seed.err" || fail "the JS seeder did not announce"
  local key
  key=$(json "$WORK/$way-seed.json" key)
  mount_drive "hyper://$key" "$WORK/$way-mnt" "store=$WORK/$way-s1,$ours,fetch_timeout=60"
  check_eq "$way: mount by key alone exits 0 ($(msg))" 0 "$RC"
  check_eq "$way: it lists the JS drive" "data docs hello.txt" "$($T ls "$WORK/$way-mnt" | tr '\n' ' ' | sed 's/ $//')"
  check_eq "$way: and reads it" "hello from the JS hyperdrive 10 seeder" "$($T cat "$WORK/$way-mnt/hello.txt")"
  check_eq "$way: the 300,000-byte blob" 300000 "$($T cat "$WORK/$way-mnt/data/blob.bin" | wc -c)"
  check "$way: the seeder saw our connection" grep -q "connection tcp server" "$WORK/$way-seed.err"
  unmount_checked "$WORK/$way-mnt"
  kill "$seed" 2>/dev/null

  echo "# $way: a JS reader finds our read-write mount"
  new_drive "$WORK/$way-s2"
  printf 'hello from hypermount\n' >"$WORK/hello.txt"
  hm_ok drive put "$K" /hello.txt "$WORK/hello.txt" --store "$WORK/$way-s2"
  mount_drive "hyper://$K" "$WORK/$way-own" "store=$WORK/$way-s2,$ours"
  check_eq "$way: our mount listens and announces, unasked ($(msg))" 0 "$RC"
  check "$way: on a port of its own" grep -q "^listening on 0.0.0.0:[1-9]" "$WORK/out"
  fetch() {
    # shellcheck disable=SC2086
    timeout 60 node "$HM_SWARM_HARNESS/fetch.js" --key "$K" $js --timeout 45 --file "$1" \
      >"$WORK/fetch.out" 2>"$WORK/fetch.err" </dev/null
  }
  fetch /hello.txt
  check_eq "$way: the JS reader reads our drive ($(tail -c 200 "$WORK/fetch.err" | tr '\n' ' '))" \
    "hello from hypermount" "$(cat "$WORK/fetch.out")"
  printf 'written through the mount\n' >"$WORK/$way-own/later.txt"
  fetch /later.txt
  check_eq "$way: and a file written through the mount since" "written through the mount" "$(cat "$WORK/fetch.out")"
  unmount_checked "$WORK/$way-own"
}

discover mdns "mdns=127.0.0.1,bootstrap=none" "--bootstrap none --mdns"
discover dht "mdns=off,bootstrap=$BOOT" "--bootstrap $BOOT"

# The other pinned stack (hypercore 8 / protocol 7, hyperdrive 10.8.16) seeding on the same DHT;
# the harness's --flat: that stack's hypertrie crashes on nested paths under the harness.
HM_JS_P7=${HM_JS_P7:-$(cd "$HERE/../interop" && pwd)/js-p7}
if [ -d "$HM_JS_P7/node_modules/hyperdrive" ]; then
  echo "# p7: our mount finds a protocol 7 JS seeder by key alone (DHT)"
  node "$HM_SWARM_HARNESS/seed.js" --stack "$HM_JS_P7" --flat --bootstrap "$BOOT" >"$WORK/p7-seed.json" 2>"$WORK/p7-seed.err" </dev/null &
  track $!
  if wait_until 60 grep -q '"key"' "$WORK/p7-seed.json" && wait_until 60 grep -q 'announce flushed' "$WORK/p7-seed.err"; then
    mount_drive "hyper://$(json "$WORK/p7-seed.json" key)" "$WORK/p7-mnt" "store=$WORK/p7-s1,mdns=off,bootstrap=$BOOT,fetch_timeout=60"
    check_eq "p7: mount by key alone exits 0 ($(msg))" 0 "$RC"
    check_eq "p7: it lists the JS drive" "blob.bin hello.txt" "$($T ls "$WORK/p7-mnt" | tr '\n' ' ' | sed 's/ $//')"
    check_eq "p7: and reads it" "hello from the JS hyperdrive 10 seeder" "$($T cat "$WORK/p7-mnt/hello.txt")"
    check_eq "p7: the 300,000-byte blob" 300000 "$($T cat "$WORK/p7-mnt/blob.bin" | wc -c)"
    check "p7: info says protocol 7" bash -c "timeout 60 '$HYPERMOUNT' info '$WORK/p7-mnt' | grep -q 'protocol 7'"
    unmount_checked "$WORK/p7-mnt"
  else
    fail "the protocol 7 JS seeder did not start or announce: $(tail -c 300 "$WORK/p7-seed.err")"
  fi
else
  echo "SKIP p7 seeder: no node_modules in $HM_JS_P7 (bash .ci/install-deps installs it)"
fi

echo "# hypermount seed: a JS reader finds it by key alone; a drive a mount has open is left to it"
new_drive "$WORK/s3"
hm_ok drive put "$K" /hello.txt "$WORK/hello.txt" --store "$WORK/s3"
"$HYPERMOUNT" seed "$K" --store "$WORK/s3" --listen 127.0.0.1:0 --bootstrap "$BOOT" --mdns off \
  >"$WORK/seed.out" 2>"$WORK/seed.err" </dev/null &
SEED=$!
track $SEED
wait_until 60 grep -q "announced on the DHT" "$WORK/seed.out" || fail "seed did not announce: $(head -c 300 "$WORK/seed.err")"
check "seed announced without an error" grep -qx "[0-9a-f]*: announced on the DHT" "$WORK/seed.out"
timeout 60 node "$HM_SWARM_HARNESS/fetch.js" --key "$K" --bootstrap "$BOOT" --timeout 45 --file /hello.txt \
  >"$WORK/fetch.out" 2>"$WORK/fetch.err" </dev/null
check_eq "the JS reader reads what we seed" "hello from hypermount" "$(cat "$WORK/fetch.out")"
check "seed says a peer connected" grep -q "peer connected" "$WORK/seed.out"
kill "$SEED"
wait_until 20 pid_gone "$SEED" || fail "seed did not stop on SIGTERM"
check "and says what it uploaded" grep -q "^stopped: [1-9][0-9]* blocks ([1-9][0-9]* bytes) uploaded" "$WORK/seed.out"
mount_drive "hyper://$K" "$WORK/s3-mnt" "store=$WORK/s3"
hm seed "$K" --store "$WORK/s3" --bootstrap none --mdns off
check "seed of a mounted drive leaves it to the mount ($(msg))" grep -q "left to the process .*(hypermount mount)" "$WORK/out"
unmount_checked "$WORK/s3-mnt"
echo "# a bootstrap node that is down; a seeder gone while its announcement stays on the DHT"
DEAD=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mount_drive "hyper://$K" "$WORK/dead-mnt" "store=$WORK/s4,bootstrap=127.0.0.1:$DEAD,mdns=off,fetch_timeout=12"
check "a mount through a dead bootstrap node fails (status $RC)" test "$RC" -ne 0
check "saying the DHT did not answer ($(msg))" grep -q "no peer found in 12 s (the DHT: .*no nodes responded)" "$WORK/err"
node "$HM_SWARM_HARNESS/seed.js" --bootstrap "$BOOT" >"$WORK/gone-seed.json" 2>"$WORK/gone-seed.err" </dev/null &
GONE=$!
track $GONE
wait_until 60 grep -q 'announce flushed' "$WORK/gone-seed.err" || fail "the JS seeder did not announce"
GONE_KEY=$(json "$WORK/gone-seed.json" key)
GONE_PORT=$(json "$WORK/gone-seed.json" port)
{ kill -9 "$GONE" && wait "$GONE"; } 2>/dev/null
mount_drive "hyper://$GONE_KEY" "$WORK/gone-mnt" "store=$WORK/s5,bootstrap=$BOOT,mdns=off,fetch_timeout=8"
check "a mount of a drive whose seeder is gone fails (status $RC)" test "$RC" -ne 0
check "naming the announced address it could not reach ($(msg))" grep -q "no peer reachable (127.0.0.1:$GONE_PORT: .*refused" "$WORK/err"
finish
