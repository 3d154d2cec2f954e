# Shared setup for the interop tests (sourced by core_*.sh; not a test itself).
# Environment: HYPERMOUNT = our binary, HM_JS_P7 = tests/interop/js-p7 with node_modules installed.
# Exit codes of a test: 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HM_JS_P7=${HM_JS_P7:-$HERE/js-p7}

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null || skip "node is not installed"
[ -d "$HM_JS_P7/node_modules/hypercore" ] || skip "no node_modules in $HM_JS_P7 (run: cd $HM_JS_P7 && npm ci)"
if [ -z "${HYPERMOUNT:-}" ] || [ ! -x "$HYPERMOUNT" ]; then
  echo "FAIL: HYPERMOUNT='${HYPERMOUNT:-}' is not an executable"; exit 1
fi

# Deadlines are multiplied by this (3 in the sanitizer build, set by meson).
SCALE=${HM_TIME_SCALE:-1}
WORK=$(mktemp -d)
if [ -n "${HM_KEEP:-}" ]; then echo "work folder (kept): $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND... : pass if COMMAND succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# stop_jobs : SIGTERM to this script's background jobs that still run, then waits for them. Never
#   a remembered PID: once its process has ended (pid_max is 32768 here and the suites start
#   thousands of processes) the number may belong to another test's process.
stop_jobs() {
  local p
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
finish() {
  if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
  echo "all checks passed"; exit 0
}

js() { node "$HM_JS_P7/$1" "${@:2}"; }
# Scripts shared by both JS stacks; run with NODE_PATH pointing at one stack's node_modules.
JS_SHARED=$(cd "$(dirname "${BASH_SOURCE[0]}")/js" && pwd)

# hm ARGS... : runs our binary (2 min limit); sets RC, leaves stdout in $WORK/out, stderr in $WORK/err.
hm() {
  RC=0
  timeout 120 "$HYPERMOUNT" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  if [ "$RC" -ge 124 ]; then
    fail "hypermount $* crashed or hung (exit $RC): $(head -c 300 "$WORK/err")"
  fi
}
msg() { cat "$WORK/out" "$WORK/err" | head -c 400 | tr '\n' ' '; }

# info_field NAME : value of "NAME: value" in the output of the last `hm core info`
info_field() { sed -n "s/^$1: *//p" "$WORK/out" | head -n1; }

# jget FILE EXPR : evaluates EXPR with `m` = the parsed JSON file, prints the result
jget() { node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); console.log(Array.isArray(v) ? v.join("\n") : v)' "$1" "$2"; }

# snapshot DIR : sha256 of every file in DIR (detects changed, added and removed files)
snapshot() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }

# gen SEED INDEX SIZE : deterministic bytes (same generator as write-core.js) on stdout
gen() { node -e 'process.stdout.write(require(process.argv[1]).blockBytes(process.argv[2], +process.argv[3], +process.argv[4]))' "$JS_SHARED/lib.js" "$@"; }

# get_sha DIR INDEX... : sha256 of each block read with `hypermount core get`, one per line
#   (a failed get gives "ERR<exit status>" instead; its stderr goes to $WORK/get-errors)
get_sha() {
  local core=$1 i rc n=0 dir=$WORK/blocks
  shift
  rm -rf "$dir"; mkdir "$dir"; : >"$WORK/get-failed"
  for i in "$@"; do
    rc=0
    "$HYPERMOUNT" core get "$core" "$i" >"$dir/$n" 2>>"$WORK/get-errors" || rc=$?
    [ "$rc" -eq 0 ] || echo "$n $rc" >>"$WORK/get-failed"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || return 0
  (cd "$dir" && seq 0 $((n - 1)) | xargs sha256sum | cut -d' ' -f1) >"$WORK/sha.tmp"
  awk 'FILENAME == ARGV[1] { err[$1 + 1] = $2; next } (FNR in err) { print "ERR" err[FNR]; next } { print }' \
    "$WORK/get-failed" "$WORK/sha.tmp"
  rm -rf "$dir"
}

# get_sha_sized DIR SIZES INDEX... : as get_sha, reading every block in one `hypermount core get`
#   and cutting the output by the block sizes listed in the file SIZES (line n = block n); falls
#   back to get_sha (one process per block, naming each failure) when that get fails
get_sha_sized() {
  local core=$1 sizes=$2
  shift 2
  if "$HYPERMOUNT" core get "$core" "$@" >"$WORK/blocks.bin" 2>>"$WORK/get-errors"; then
    python3 - "$WORK/blocks.bin" "$sizes" "$@" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
sizes = [int(line) for line in open(sys.argv[2])]
at = 0
for index in sys.argv[3:]:
    size = sizes[int(index)]
    print(hashlib.sha256(data[at:at + size]).hexdigest())
    at += size
if at != len(data):
    print("EXTRA %d bytes" % (len(data) - at))
PY
  else
    get_sha "$core" "$@"
  fi
  rm -f "$WORK/blocks.bin"
}

# pick FILE INDEX... : lines INDEX+1 of FILE (the expected sha256 of those blocks), in order
pick() { local f=$1; shift; awk 'FILENAME == ARGV[1] { line[FNR - 1] = $0; next } { print line[$1] }' "$f" <(printf '%s\n' "$@"); }

# first_diff EXPECTED ACTUAL : the count of differing lines and the first one (line n = n-th block read)
first_diff() {
  paste -d' ' "$1" "$2" | awk '$1 != $2 { if (!n++) first = "#" NR - 1 ": expected " $1 ", got " $2 }
    END { print n " differ, first " first }'
}

# wait_for FILE REGEX [SECONDS]: true once a line of FILE matches
wait_for() {
  local i
  for ((i = 0; i < ${3:-30} * 10 * SCALE; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "  (timed out waiting for /$2/ in $1: $(tail -c 300 "$1" 2>/dev/null | tr '\n' ' '))"
  return 1
}
