# `core serve --stdio` and `core clone --stdio` joined by two FIFOs (standard input/output as the
# transport), for protocol auto and 7, plus the one-FIFO pipeline form and the refusal of a
# regular file. Needs only our binary (no node). Environment: HYPERMOUNT = our binary.
# Exit codes: 0 pass, 1 fail.
set -euo pipefail

if [ -z "${HYPERMOUNT:-}" ] || [ ! -x "$HYPERMOUNT" ]; then
  echo "FAIL: HYPERMOUNT='${HYPERMOUNT:-}' is not an executable"; exit 1
fi
H=$HYPERMOUNT

WORK=$(mktemp -d)
if [ -n "${HM_KEEP:-}" ]; then echo "work folder (kept): $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }

# The source core: 50 lines of different lengths, one block each.
"$H" core new "$WORK/w" >/dev/null
for i in $(seq 0 49); do printf 'block %d %s\n' "$i" "$(head -c $((i * 37 % 300)) /dev/zero | tr '\0' x)"; done \
  | "$H" core append "$WORK/w" >/dev/null
KEY=$("$H" core info "$WORK/w" | sed -n 's/^key: *//p')
[ -n "$KEY" ] || { echo "FAIL: no key from core info"; exit 1; }

# wait_pid PID SECONDS : waits for PID (a child), killing it by PID after SECONDS; sets RC
# (124 when it had to be killed).
wait_pid() {
  local pid=$1 ticks=$(($2 * 10))
  while kill -0 "$pid" 2>/dev/null && [ "$ticks" -gt 0 ]; do sleep 0.1; ticks=$((ticks - 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    RC=124
    return 0
  fi
  RC=0
  wait "$pid" || RC=$?
}

# check_clone DIR LABEL : the clone verifies, has the length and the blocks of the source.
check_clone() {
  local dir=$1 label=$2 info length present i same=1
  if "$H" core verify "$dir" >"$WORK/verify.out" 2>&1; then pass "$label: core verify"
  else fail "$label: core verify: $(head -c 300 "$WORK/verify.out")"; fi
  info=$("$H" core info "$dir" 2>&1 || true)
  length=$(sed -n 's/^length: *//p' <<<"$info")
  present=$(sed -n 's/^blocks-present: *//p' <<<"$info")
  if [ "$length" = 50 ] && [ "$present" = 50 ]; then pass "$label: length 50, 50 blocks present"
  else fail "$label: length '$length', present '$present'"; fi
  for i in $(seq 0 49); do
    if ! cmp -s <("$H" core get "$WORK/w" "$i") <("$H" core get "$dir" "$i" 2>/dev/null); then
      same=0; fail "$label: block $i differs"; break
    fi
  done
  [ "$same" = 1 ] && pass "$label: every block matches the source"
  return 0
}

# Two FIFOs: serve reads a and writes b, clone reads b and writes a. Each side opens its FIFOs
# in an order that pairs with the other (no open() deadlock); `exec` keeps no extra process
# holding a FIFO end, so each side's end of stream reaches the other.
for protocol in auto 7; do
  label="two FIFOs, protocol $protocol"
  rm -rf "$WORK/r" "$WORK/a" "$WORK/b"
  mkfifo "$WORK/a" "$WORK/b"
  ( exec "$H" core serve "$WORK/w" --stdio --protocol "$protocol" >"$WORK/b" <"$WORK/a" 2>"$WORK/serve.err" ) &
  SERVE=$!
  ( exec "$H" core clone "$KEY" "$WORK/r" --stdio --protocol "$protocol" <"$WORK/b" >"$WORK/a" 2>"$WORK/clone.err" ) &
  CLONE=$!
  wait_pid "$CLONE" 60
  CLONE_RC=$RC
  wait_pid "$SERVE" 20
  SERVE_RC=$RC
  if [ "$CLONE_RC" = 0 ]; then pass "$label: clone exits 0"
  else fail "$label: clone exit $CLONE_RC: $(head -c 400 "$WORK/clone.err")"; fi
  if [ "$SERVE_RC" = 0 ]; then pass "$label: serve exits 0 once the clone is gone"
  else fail "$label: serve exit $SERVE_RC: $(head -c 400 "$WORK/serve.err")"; fi
  if grep -q '^cloned: length 50 present 50' "$WORK/clone.err"; then
    pass "$label: the clone reports on standard error"
  else fail "$label: no 'cloned:' line on standard error: $(head -c 400 "$WORK/clone.err")"; fi
  if grep -q 'listening on' "$WORK/serve.err"; then fail "$label: serve printed a listening line"
  else pass "$label: serve prints no listening line"; fi
  check_clone "$WORK/r" "$label"
done

# The pipeline form: serve < f | clone > f.
label="pipeline with one FIFO"
rm -rf "$WORK/r" "$WORK/f"
mkfifo "$WORK/f"
( exec bash -c '"$1" core serve "$2" --stdio <"$4" 2>"$5" | "$1" core clone "$3" "$6" --stdio >"$4" 2>"$7"' \
    _ "$H" "$WORK/w" "$KEY" "$WORK/f" "$WORK/serve.err" "$WORK/r" "$WORK/clone.err" ) &
PIPELINE=$!
wait_pid "$PIPELINE" 60
if [ "$RC" = 0 ]; then pass "$label: exits 0"
else fail "$label: exit $RC: $(head -c 400 "$WORK/clone.err") $(head -c 400 "$WORK/serve.err")"; fi
check_clone "$WORK/r" "$label"

# A regular file on standard input is refused with a clear error, not replicated into.
echo "not a peer" >"$WORK/file"
RC=0
"$H" core serve "$WORK/w" --stdio <"$WORK/file" >"$WORK/out" 2>"$WORK/err" || RC=$?
if [ "$RC" != 0 ] && grep -q 'standard input is a file' "$WORK/err"; then
  pass "a regular file on standard input is refused"
else fail "regular file on standard input: exit $RC: $(head -c 300 "$WORK/err")"; fi
# --stdio with another transport is a usage error.
RC=0
"$H" core clone "$KEY" "$WORK/r2" --stdio --peer 127.0.0.1:9 </dev/null >/dev/null 2>&1 || RC=$?
if [ "$RC" = 2 ]; then pass "--stdio with --peer is a usage error"; else fail "--stdio --peer: exit $RC"; fi

if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all checks passed"
