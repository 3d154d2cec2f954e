#!/usr/bin/env bash
# uTP bulk throughput on loopback, in one run: our UtpEndpoint (tests/interop/utp_peer) to
# itself, utp-native 2.5.3 (tests/interop/utp_js_peer.js) to itself, ours to utp-native both
# ways, and a plain TCP connection (python3) as the ceiling. Each case sends MIB MiB each way at
# once and waits until both ends are acknowledged; the figure is the bytes moved (both ways) per
# second of wall time, the median of REPEAT runs. Not part of the test verdict.
# usage: bash bench/utp_run.sh [BUILD_DIR] [MIB]   (defaults: build 64)   env: REPEAT=3
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mib=${2:-64}
repeat=${REPEAT:-3}
peer=$build/tests/interop/utp_peer
[ -x "$peer" ] || { echo "no $peer: build it first (meson compile -C $build)"; exit 1; }
js=()
if [ -d tests/interop/js-swarm/node_modules/utp-native ]; then
  js=(env NODE_PATH="$PWD/tests/interop/js-swarm/node_modules" node tests/interop/utp_js_peer.js)
else
  echo "utp-native figures skipped: tests/interop/js-swarm/node_modules is missing (bash .ci/install-deps)"
fi
size=$((mib << 20))
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# port_of FILE : the port a listener printed ("port N" from ours, {"port":N} from JS), 30 s at most
port_of() {
  local i
  for ((i = 0; i < 300; i++)); do
    grep -qE '^port [0-9]+|"port"' "$1" 2>/dev/null && break
    sleep 0.1
  done
  sed -nE 's/^port ([0-9]+)$/\1/p; s/.*"port":([0-9]+).*/\1/p' "$1" | head -n1
}

# one LISTENER... -- DIALLER... : MB/s of one transfer (both directions), or "failed"
one() {
  local listener=() dialler=()
  while [ "$1" != -- ]; do listener+=("$1"); shift; done
  shift
  dialler=("$@")
  "${listener[@]}" listen "$size" >"$work/listen.out" 2>"$work/listen.err" &
  local lpid=$! port
  port=$(port_of "$work/listen.out")
  local t0=$EPOCHREALTIME rc=0
  "${dialler[@]}" dial "$port" "$size" >"$work/dial.out" 2>"$work/dial.err" || rc=$?
  wait "$lpid" || rc=$?
  [ "$rc" -eq 0 ] || { echo failed; return; }
  python3 -c "import sys; print('%.0f' % (2 * int(sys.argv[1]) / 1e6 / (float(sys.argv[3]) - float(sys.argv[2]))))" \
    "$size" "$t0" "$EPOCHREALTIME"
}

# tcp : the same exchange over one loopback TCP connection (python3 sockets, 1 MiB writes)
tcp() {
  python3 - "$size" <<'PY'
import socket, sys, threading, time
size = int(sys.argv[1])
data = bytes(1 << 20)
def pump(sock):
    left = size
    while left:
        left -= sock.send(data[:min(left, len(data))])
    sock.shutdown(socket.SHUT_WR)
def drain(sock):
    while sock.recv(1 << 20):
        pass
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
start = time.time()
client = socket.create_connection(server.getsockname())
accepted, _ = server.accept()
threads = [threading.Thread(target=f, args=(s,)) for f, s in
           ((pump, client), (drain, client), (pump, accepted), (drain, accepted))]
for t in threads: t.start()
for t in threads: t.join()
print("%.0f" % (2 * size / 1e6 / (time.time() - start)))
PY
}

# median_of CASE-COMMAND... : the median of REPEAT runs
median_of() {
  local r rates=()
  for ((r = 0; r < repeat; r++)); do rates+=("$("$@")"); done
  printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p"
}

echo "uTP on loopback: $mib MiB each way at once, MB/s (both directions), median of $repeat; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
ours=$(median_of one "$peer" -- "$peer")
printf '%-34s %8s\n' "ours to ours" "$ours"
if [ ${#js[@]} -gt 0 ]; then
  native=$(median_of one "${js[@]}" -- "${js[@]}")
  printf '%-34s %8s\n' "utp-native to utp-native" "$native"
  printf '%-34s %8s\n' "ours dialling utp-native" "$(median_of one "${js[@]}" -- "$peer")"
  printf '%-34s %8s\n' "utp-native dialling ours" "$(median_of one "$peer" -- "${js[@]}")"
fi
ceiling=$(median_of tcp)
printf '%-34s %8s\n' "TCP (python3 sockets)" "$ceiling"
if [ ${#js[@]} -gt 0 ] && [[ $ours =~ ^[0-9]+$ && $native =~ ^[0-9]+$ ]]; then
  echo "ours/utp-native: $(python3 -c "print('%.2fx' % ($ours / $native))") (aim >= 2x); ours/TCP: $(python3 -c "print('%.2fx' % ($ours / $ceiling))")"
fi
