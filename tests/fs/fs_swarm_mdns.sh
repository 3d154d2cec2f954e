#!/usr/bin/env bash
# A key is all a LAN needs: with no peer= and the DHT off, `hypermount mount hyper://KEY` finds a
# JS hyperdrive seeder (hyperswarm 2, the shared harness's seed.js) by multicast DNS and reads it;
# and a JS reader (fetch.js) finds our read-write mount (listen=) by multicast DNS and reads a
# file written through it, also one written after it joined. Multicast is pinned to the loopback
# interface (mdns=127.0.0.1, the harness's --mdns-iface default), as the harness does.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
HM_JS_SWARM=${HM_JS_SWARM:-$(cd "$HERE/../interop" && pwd)/js-swarm}
HM_SWARM_HARNESS=${HM_SWARM_HARNESS:-$HERE/../../../shared/reference/swarm}
[ -f "$HM_SWARM_HARNESS/seed.js" ] || skip "no swarm harness at $HM_SWARM_HARNESS (shared/ beside the repository)"
[ -d "$HM_JS_SWARM/node_modules/hyperswarm" ] || skip "no node_modules in $HM_JS_SWARM (run: bash .ci/install-deps)"
export NODE_PATH=$HM_JS_SWARM/node_modules
T="timeout 60"

# our mount finds the JS seeder on the LAN
node "$HM_SWARM_HARNESS/seed.js" --bootstrap none --mdns >"$WORK/seed.json" 2>"$WORK/seed.err" </dev/null &
track $!
wait_until 60 grep -q '"key"' "$WORK/seed.json" || { fail "the JS seeder did not start: $(tail -c 300 "$WORK/seed.err")"; finish; }
KEY=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/seed.json', 'utf8').split('\n')[0]).key")
mount_drive "hyper://$KEY" "$WORK/mnt" "store=$WORK/s1,mdns=127.0.0.1,fetch_timeout=60"
check_eq "mount by key alone exits 0 ($(msg))" 0 "$RC"
check_eq "it lists the JS drive" "data docs hello.txt" "$($T ls "$WORK/mnt" | tr '\n' ' ' | sed 's/ $//')"
check_eq "and reads it" "hello from the JS hyperdrive 10 seeder" "$($T cat "$WORK/mnt/hello.txt")"
check_eq "the 300,000-byte blob" 300000 "$($T cat "$WORK/mnt/data/blob.bin" | wc -c)"
check "the seeder saw our connection" grep -q "connection tcp server" "$WORK/seed.err"
unmount_checked "$WORK/mnt"

# a JS reader finds our read-write mount on the LAN
new_drive "$WORK/s2"
printf 'hello from hypermount\n' >"$WORK/hello.txt"
hm_ok drive put "$K" /hello.txt "$WORK/hello.txt" --store "$WORK/s2"
mount_drive "hyper://$K" "$WORK/own" "store=$WORK/s2,listen=127.0.0.1:0,mdns=127.0.0.1"
check_eq "our mount listens and announces ($(msg))" 0 "$RC"
fetch() {
  timeout 60 node "$HM_SWARM_HARNESS/fetch.js" --key "$K" --bootstrap none --mdns --timeout 45 --file "$1" \
    >"$WORK/fetch.out" 2>"$WORK/fetch.err" </dev/null
}
fetch /hello.txt
check_eq "the JS reader reads our drive, found on the LAN ($(tail -c 200 "$WORK/fetch.err" | tr '\n' ' '))" \
  "hello from hypermount" "$(cat "$WORK/fetch.out")"
check "it found us by mDNS" grep -q "(local/mdns)" "$WORK/fetch.err"
printf 'written through the mount\n' >"$WORK/own/later.txt"
fetch /later.txt
check_eq "and a file written through the mount since" "written through the mount" "$(cat "$WORK/fetch.out")"
unmount_checked "$WORK/own"
finish
