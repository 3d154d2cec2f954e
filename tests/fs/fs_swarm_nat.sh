#!/usr/bin/env bash
# Hole punching and uTP, against JS hyperswarm 2 peers: a seeder and a reader behind two
# separate NATs that drop unsolicited inbound (network namespaces this test makes, nftables
# masquerade as in the harness's netns/nat-holepunch.sh), a JS bootstrap node on the public
# segment. Our mount behind one NAT reads a JS seeder behind the other; a JS reader behind one
# NAT reads our `seed` behind the other, over uTP in both cases (TCP cannot cross the NATs).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
HM_JS_SWARM=${HM_JS_SWARM:-$(cd "$HERE/../interop" && pwd)/js-swarm}
HM_SWARM_HARNESS=${HM_SWARM_HARNESS:-$HERE/../../../shared/reference/swarm}
[ -f "$HM_SWARM_HARNESS/seed.js" ] || skip "no swarm harness at $HM_SWARM_HARNESS (shared/ beside the repository)"
[ -d "$HM_JS_SWARM/node_modules/hyperswarm" ] || skip "no node_modules in $HM_JS_SWARM (run: bash .ci/install-deps)"
command -v nft >/dev/null || skip "nft (nftables) is not installed"
command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
export NODE_PATH=$HM_JS_SWARM/node_modules
# the harness's peers only dial addresses in these ranges
export SWARM_ALLOW=198.51.100.0/24,10.201.0.0/16
json() { node -p "JSON.parse(require('fs').readFileSync('$1', 'utf8').split('\n')[0]).$2"; }

# Namespaces named after this process, so parallel runs never meet: public segment, two NAT
# routers, seeder side A and reader side B.
P=hmn$$
PUB=$P-pub NATA=$P-na NATB=$P-nb NSA=$P-a NSB=$P-b
ALL_NS=("$PUB" "$NATA" "$NATB" "$NSA" "$NSB")
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# Only the network namespace: a FUSE mount made here stays visible to this shell.
net_of() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

remove_namespaces() {
  local ns p
  for ns in "${ALL_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
  done
  for ns in "${ALL_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      wait_until 5 pid_gone "$p" || kill -9 "$p" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
}
trap 'for m in "${MOUNTS[@]}"; do unmount_quietly "$m"; done; remove_namespaces; cleanup' EXIT

# nat_router NS LAN_ADDRESS : masquerade on wan0, and drop what arrives unsolicited from wan0
nat_router() {
  in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 &&
    in_ns "$1" ip addr add "$2" dev lan0 && in_ns "$1" ip link set lan0 up &&
    in_ns "$1" nft -f - <<EOF
table ip nat {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "wan0" masquerade; }
}
table ip filter {
  chain wan_forward { type filter hook forward priority filter; policy accept; iifname "wan0" ct state new drop; }
  chain wan_input { type filter hook input priority filter; policy accept; iifname "wan0" ct state new drop; }
}
EOF
}

make_namespaces() {
  local ns
  for ns in "${ALL_NS[@]}"; do ip netns add "$ns" && in_ns "$ns" ip link set lo up || return 1; done
  in_ns "$PUB" ip link add br0 type bridge && in_ns "$PUB" ip addr add 198.51.100.10/24 dev br0 &&
    in_ns "$PUB" ip link set br0 up || return 1
  ip -n "$PUB" link add pa type veth peer name wan0 netns "$NATA" || return 1
  ip -n "$PUB" link add pb type veth peer name wan0 netns "$NATB" || return 1
  for ns in pa pb; do in_ns "$PUB" ip link set "$ns" master br0 && in_ns "$PUB" ip link set "$ns" up || return 1; done
  in_ns "$NATA" ip addr add 198.51.100.1/24 dev wan0 && in_ns "$NATA" ip link set wan0 up || return 1
  in_ns "$NATB" ip addr add 198.51.100.2/24 dev wan0 && in_ns "$NATB" ip link set wan0 up || return 1
  ip -n "$NATA" link add lan0 type veth peer name eth0 netns "$NSA" || return 1
  ip -n "$NATB" link add lan0 type veth peer name eth0 netns "$NSB" || return 1
  nat_router "$NATA" 10.201.1.1/24 && nat_router "$NATB" 10.201.2.1/24 || return 1
  in_ns "$NSA" ip addr add 10.201.1.2/24 dev eth0 && in_ns "$NSA" ip link set eth0 up &&
    in_ns "$NSA" ip route add default via 10.201.1.1 || return 1
  in_ns "$NSB" ip addr add 10.201.2.2/24 dev eth0 && in_ns "$NSB" ip link set eth0 up &&
    in_ns "$NSB" ip route add default via 10.201.2.1
}
make_namespaces 2>"$WORK/netns.err" || skip "cannot make network namespaces: $(head -c 300 "$WORK/netns.err")"

in_ns "$PUB" node "$HM_SWARM_HARNESS/bootstrap.js" --host 198.51.100.10 --port 0 \
  >"$WORK/boot.json" 2>"$WORK/boot.err" </dev/null &
track $!
wait_until 60 grep -q '"bootstrap"' "$WORK/boot.json" || { fail "the JS bootstrap node did not start: $(head -c 300 "$WORK/boot.err")"; finish; }
BOOT=$(json "$WORK/boot.json" bootstrap)

echo "# our mount behind NAT B reads a JS seeder behind NAT A"
in_ns "$NSA" node "$HM_SWARM_HARNESS/seed.js" --bootstrap "$BOOT" >"$WORK/seed.json" 2>"$WORK/seed.err" </dev/null &
SEED=$!
track $SEED
wait_until 60 grep -q '"key"' "$WORK/seed.json" || { fail "the JS seeder did not start: $(tail -c 300 "$WORK/seed.err")"; finish; }
wait_until 60 grep -q 'announce flushed' "$WORK/seed.err" || fail "the JS seeder did not announce"
KEY=$(json "$WORK/seed.json" key)
mkdir -p "$WORK/mnt"
MOUNTS+=("$WORK/mnt")
net_of "$NSB" "$HYPERMOUNT" mount "hyper://$KEY" "$WORK/mnt" \
  -o "store=$WORK/s1,bootstrap=$BOOT,mdns=off,fetch_timeout=60" >"$WORK/out" 2>"$WORK/err" </dev/null
RC=$?
check_eq "mount by key behind a NAT exits 0 ($(msg))" 0 "$RC"
check_eq "it lists the JS drive" "data docs hello.txt" "$(timeout 90 ls "$WORK/mnt" | tr '\n' ' ' | sed 's/ $//')"
check_eq "and reads it" "hello from the JS hyperdrive 10 seeder" "$(timeout 60 cat "$WORK/mnt/hello.txt")"
check_eq "the 300,000-byte blob" 300000 "$(timeout 60 cat "$WORK/mnt/data/blob.bin" | wc -c)"
check "the JS seeder took our connection over uTP ($(grep connection "$WORK/seed.err" | head -c 200))" \
  grep -q "connection utp server" "$WORK/seed.err"
unmount_checked "$WORK/mnt"
kill "$SEED" 2>/dev/null

echo "# a JS reader behind NAT B reads our seed behind NAT A"
new_drive "$WORK/s2"
printf 'hello from hypermount behind a NAT\n' >"$WORK/hello.txt"
hm_ok drive put "$K" /hello.txt "$WORK/hello.txt" --store "$WORK/s2"
net_of "$NSA" "$HYPERMOUNT" seed "$K" --store "$WORK/s2" --bootstrap "$BOOT" --mdns off \
  >"$WORK/hmseed.out" 2>"$WORK/hmseed.err" </dev/null &
HMSEED=$!
track $HMSEED
wait_until 60 grep -q "announced on the DHT" "$WORK/hmseed.out" || fail "seed did not announce: $(head -c 300 "$WORK/hmseed.err")"
timeout 90 ip netns exec "$NSB" node "$HM_SWARM_HARNESS/fetch.js" --key "$K" --bootstrap "$BOOT" \
  --timeout 60 --file /hello.txt --require-type utp >"$WORK/fetch.out" 2>"$WORK/fetch.err" </dev/null
check_eq "the JS reader reads our seed over uTP ($(tail -c 300 "$WORK/fetch.err" | tr '\n' ' '))" \
  "hello from hypermount behind a NAT" "$(cat "$WORK/fetch.out")"
check "seed says the peer came over uTP" grep -q "peer connected over utp" "$WORK/hmseed.out"
kill "$HMSEED"
wait_until 20 pid_gone "$HMSEED" || fail "seed did not stop on SIGTERM"
finish
