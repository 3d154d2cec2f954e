#!/usr/bin/env bash
# uTP against utp-native 2.5.3 (libutp) over loopback UDP, in both roles, on a clean link and
# through a lossy proxy (loss, duplicates, reordering): our UtpEndpoint on a libuv socket
# (utp_peer) and utp_js_peer.js each send 3 MiB and end; the SHA-256 each side received must
# equal the one the other side sent, and both must see the other's end.
source "$(dirname "$0")/common.sh"

HM_JS_SWARM=${HM_JS_SWARM:-$HERE/js-swarm}
[ -d "$HM_JS_SWARM/node_modules/utp-native" ] || skip "no node_modules in $HM_JS_SWARM (run: cd $HM_JS_SWARM && npm ci)"
[ -x "${HM_UTP_PEER:-}" ] || { echo "FAIL: HM_UTP_PEER='${HM_UTP_PEER:-}' is not an executable"; exit 1; }
export NODE_PATH=$HM_JS_SWARM/node_modules
trap 'stop_jobs; [ -n "${HM_KEEP:-}" ] || rm -rf "$WORK"' EXIT
SIZE=$((3 * 1024 * 1024))

# compare ROLE OURS_OUT JS_JSON: the hashes cross over and both sides saw all bytes.
compare() {
  local role=$1 ours=$2 js=$3
  check "$role: utp-native received what we sent" \
    test "$(sed -n 's/^sent [0-9]* //p' "$ours")" = "$(jget "$js" m.received)"
  check "$role: we received what utp-native sent" \
    test "$(sed -n 's/^received [0-9]* //p' "$ours")" = "$(jget "$js" m.sent)"
  check "$role: we received $SIZE bytes" grep -q "^received $SIZE " "$ours"
  check "$role: utp-native received $SIZE bytes" test "$(jget "$js" m.receivedBytes)" = "$SIZE"
}

# through PORT : the port to dial for a listener on PORT: itself on a clean link, or a lossy
#   proxy (3% loss, 2% duplicates, 0-5 ms delay, so reordering) when LOSSY=1. Sets DIAL (and
#   PROXY, the proxy's PID).
through() {
  DIAL=$1
  [ "$LOSSY" = 1 ] || return 0
  # A fresh file: the background child truncates it only once it runs, and wait_for must not
  # find the last proxy's port meanwhile.
  rm -f "$WORK/proxy.out"
  python3 "$HERE/lossy_udp_proxy.py" "$1" 0.03 0.02 5 7 >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
  PROXY=$!
  wait_for "$WORK/proxy.out" '^port [0-9]+' 30 || { fail "the lossy proxy did not start"; finish; }
  DIAL=$(sed -n 's/^port //p' "$WORK/proxy.out")
}

# says NAME FILE...: the tail of each FILE (a side's output and log), printed when NAME failed.
says() {
  local name=$1 f; shift
  for f in "$@"; do echo "  ($name, $(basename "$f"): $(tail -c 600 "$f" | tr '\n' '|'))"; done
}

for LOSSY in 0 1; do
  link=$([ "$LOSSY" = 1 ] && echo ", lossy link" || echo "")
  rm -f "$WORK/ours-listen.out" "$WORK/js-listen.json"  # no port from the last round
  # utp-native dials us.
  "$HM_UTP_PEER" listen "$SIZE" >"$WORK/ours-listen.out" 2>"$WORK/ours-listen.err" &
  OURS=$!
  wait_for "$WORK/ours-listen.out" '^port [0-9]+' 30 || { fail "utp_peer did not listen"; finish; }
  through "$(sed -n 's/^port //p' "$WORK/ours-listen.out")"
  RC=0
  timeout $((120 * SCALE)) node "$HERE/utp_js_peer.js" dial "$DIAL" "$SIZE" >"$WORK/js-dial.json" 2>"$WORK/js-dial.err" || RC=$?
  check "utp_js_peer.js (dialling$link) closed cleanly (exit $RC)" test "$RC" -eq 0
  [ "$RC" -eq 0 ] || says utp_js_peer.js "$WORK/js-dial.json" "$WORK/js-dial.err"
  RC=0
  wait "$OURS" || RC=$?
  check "utp_peer (listening$link) finished cleanly (exit $RC)" test "$RC" -eq 0
  [ "$RC" -eq 0 ] || says utp_peer "$WORK/ours-listen.out" "$WORK/ours-listen.err"
  compare "JS dials us$link" "$WORK/ours-listen.out" "$WORK/js-dial.json"
  stop_jobs

  # We dial utp-native.
  node "$HERE/utp_js_peer.js" listen "$SIZE" >"$WORK/js-listen.json" 2>"$WORK/js-listen.err" &
  wait_for "$WORK/js-listen.json" '"port"' 30 || { fail "utp_js_peer.js did not listen"; finish; }
  through "$(jget "$WORK/js-listen.json" m.port)"
  RC=0
  "$HM_UTP_PEER" dial "$DIAL" "$SIZE" >"$WORK/ours-dial.out" 2>"$WORK/ours-dial.err" || RC=$?
  check "utp_peer (dialling$link) finished cleanly (exit $RC)" test "$RC" -eq 0
  [ "$RC" -eq 0 ] || says utp_peer "$WORK/ours-dial.out" "$WORK/ours-dial.err" "$WORK/js-listen.err"
  wait_for "$WORK/js-listen.json" '"received"' 30 || true
  sed -i '/"port"/d' "$WORK/js-listen.json"
  compare "we dial JS$link" "$WORK/ours-dial.out" "$WORK/js-listen.json"
  if [ "$LOSSY" = 1 ]; then
    # By its PID, saying what the proxy printed if it had gone: its report was once missing.
    kill -TERM "$PROXY" 2>/dev/null || echo "  (the proxy had gone: $(tail -c 300 "$WORK/proxy.err"))"
    wait_for "$WORK/proxy.out" '^relayed' 10 || true
    check "the lossy link dropped and duplicated datagrams ($(tail -n1 "$WORK/proxy.out"))" \
      bash -c "tail -n1 '$WORK/proxy.out' | awk '\$4 > 0 && \$6 > 0 { ok = 1 } END { exit !ok }'"
  fi
  stop_jobs
done
finish
