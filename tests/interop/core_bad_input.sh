#!/usr/bin/env bash
# Damaged or unusual core folders: every command must fail cleanly (non-zero exit < 128, a message
# naming the file), never crash, and never change the folder's files.
# shellcheck disable=SC2016,SC2317  # mutations are shell code run later by bad_case
source "$(dirname "$0")/common.sh"

js write-core.js "$WORK/good" small >"$WORK/manifest.json"         # 9 blocks, 5 append calls
js write-core.js "$WORK/other" small other-seed >/dev/null         # another key pair
LEN=$(jget "$WORK/manifest.json" m.length)
printf 'new block\n' >"$WORK/block"

# flip FILE OFFSET : inverts one byte in place
flip() {
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf '%b' "\\$(printf '%03o' $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# names RE : regex matching RE as a word (a file name in a message or a path)
names() { echo "(^|[^A-Za-z_])($1)([^A-Za-z_]|\$)"; }

# bad_case NAME COMMAND EXPECTED_EXIT FILE_RE MUTATION
#   copies the good core, runs MUTATION (shell code) inside the copy, then runs info, get of every
#   block and `core COMMAND`; COMMAND must exit EXPECTED_EXIT ("nonzero" = any of 1..127) with a
#   message matching FILE_RE, nothing may crash, and no file may change.
bad_case() {
  local name=$1 cmd=$2 expect=$3 re=$4 mutation=$5 dir=$WORK/$1 before i
  echo "# $name: $mutation; then $cmd"
  cp -a "$WORK/good" "$dir"
  (cd "$dir" && eval "$mutation")
  before=$(snapshot "$dir")
  hm core info "$dir"
  for ((i = 0; i < LEN; i++)); do hm core get "$dir" "$i"; done
  if [ "$cmd" = append ]; then hm core append "$dir" "$WORK/block"; else hm core "$cmd" "$dir"; fi
  if [ "$expect" = nonzero ]; then
    check "$name: $cmd fails (got $RC: $(msg))" [ "$RC" -ge 1 -a "$RC" -lt 124 ]
  else
    check "$name: $cmd exits $expect (got $RC: $(msg))" [ "$RC" = "$expect" ]
  fi
  check "$name: message names $re" grep -Eq "$(names "$re")" <(cat "$WORK/out" "$WORK/err")
  check "$name: files unchanged" [ "$(snapshot "$dir")" = "$before" ]
}

echo "# the good core verifies"
hm core verify "$WORK/good"
check "good core: verify exits 0 ($(msg))" [ "$RC" -eq 0 ]

# truncated files
bad_case trunc-key         verify 4       key        'truncate -s 16 key'
bad_case trunc-secret_key  append nonzero secret_key 'truncate -s 32 secret_key'
bad_case trunc-tree        verify 4       tree       'truncate -s -20 tree'
bad_case trunc-signatures  verify 4       signatures 'truncate -s -10 signatures'
bad_case trunc-bitfield    verify 4       bitfield   'truncate -s 20 bitfield'
bad_case trunc-data        verify 4       data       'truncate -s -1000 data'
# missing files
bad_case rm-tree           verify 4       tree       'rm tree'
bad_case rm-signatures     verify 4       signatures 'rm signatures'
bad_case rm-data           verify 4       data       'rm data'
# corrupt headers (32-byte header: magic 05 02 57, type, version, record size, algorithm)
bad_case hdr-tree          verify 4       tree       'flip tree 0'
bad_case hdr-tree-recsize  verify 4       tree       'flip tree 6'
bad_case hdr-signatures    verify 4       signatures 'flip signatures 1'
bad_case hdr-bitfield      verify 4       bitfield   'flip bitfield 2'
# corrupt records: tree node = 32-byte hash + u64be size at 32 + 40*n; signature i at 32 + 64*i
bad_case tree-parent-hash  verify 4       tree       'flip tree $((32 + 40 * 1 + 3))'
bad_case tree-leaf-hash    verify 4       'tree|data' 'flip tree $((32 + 40 * 4 + 3))'
bad_case tree-leaf-size    verify 4       'tree|data' 'flip tree $((32 + 40 * 6 + 39))'
bad_case signature         verify 4       signatures 'flip signatures $((32 + 64 * (LEN - 1) + 10))'
bad_case data-byte         verify 4       data       'flip data 40000'
# keys that do not match
bad_case key-mismatch      verify 4       'key|signatures?' 'cp ../other/key key'
bad_case key-mismatch-app  append nonzero 'key|secret_key' 'cp ../other/key key'
bad_case secret-mismatch   append nonzero secret_key 'cp ../other/secret_key secret_key'
# a replica (no secret key) is read-only
bad_case replica-append    append 5       'secret_key|read-only|writable' 'rm secret_key'

echo "# a folder that does not exist: exit 3 naming it, and it is not created"
for cmd in info verify get append; do
  case $cmd in
    get) hm core get "$WORK/no-such-core" 0 ;;
    append) hm core append "$WORK/no-such-core" "$WORK/block" ;;
    *) hm core "$cmd" "$WORK/no-such-core" ;;
  esac
  check "missing folder: $cmd exits 3 (got $RC: $(msg))" [ "$RC" -eq 3 ]
  check "missing folder: $cmd message names the folder" grep -q "no-such-core" <(cat "$WORK/out" "$WORK/err")
done
check "missing folder was not created" [ ! -e "$WORK/no-such-core" ]

echo "# an empty folder is not a core: exit 3, and nothing is written into it"
mkdir "$WORK/empty"
for cmd in info verify append; do
  if [ "$cmd" = append ]; then hm core append "$WORK/empty" "$WORK/block"; else hm core "$cmd" "$WORK/empty"; fi
  check "empty folder: $cmd exits 3 (got $RC: $(msg))" [ "$RC" -eq 3 ]
done
check "empty folder is still empty" [ -z "$(ls -A "$WORK/empty")" ]

echo "# usage errors exit 2"
for args in "core" "core get $WORK/good" "core get $WORK/good abc" "core get $WORK/good -1" "core frobnicate $WORK/good"; do
  # shellcheck disable=SC2086
  hm $args
  check "'hypermount ${args/$WORK/WORK}' exits 2 (got $RC: $(msg))" [ "$RC" -eq 2 ]
done

echo "# core new over an existing core must not replace its keys"
cp -a "$WORK/good" "$WORK/renew"
BEFORE=$(snapshot "$WORK/renew")
hm core new "$WORK/renew"
check "new on an existing core fails (got $RC: $(msg))" [ "$RC" -ge 1 -a "$RC" -lt 124 ]
check "new on an existing core: files unchanged" [ "$(snapshot "$WORK/renew")" = "$BEFORE" ]

echo "# an append the store's file system cannot hold: ENOSPC before anything is written"
if [ "$(id -u)" -ne 0 ]; then
  echo "# skip: full-disk case needs root to mount a small tmpfs"
else
  mkdir -p "$WORK/small"
  mount -t tmpfs -o size=4m hm-nospc "$WORK/small"
  trap 'umount "$WORK/small" 2>/dev/null || true; rm -rf "$WORK"' EXIT
  hm core new "$WORK/small/c"
  head -c 1000000 /dev/urandom >"$WORK/small-block"
  hm core append "$WORK/small/c" "$WORK/small-block"
  check "full disk: a 1 MB append fits in 4 MB (got $RC: $(msg))" [ "$RC" -eq 0 ]
  BEFORE=$(snapshot "$WORK/small/c")
  head -c 3500000 /dev/urandom >"$WORK/big-block"
  hm core append "$WORK/small/c" "$WORK/big-block"
  check "full disk: a 3.5 MB append fails (got $RC: $(msg))" [ "$RC" -ge 1 -a "$RC" -lt 124 ]
  check "full disk: the message says no space" grep -q "No space left on device" <(cat "$WORK/out" "$WORK/err")
  check "full disk: files unchanged" [ "$(snapshot "$WORK/small/c")" = "$BEFORE" ]
  hm core verify "$WORK/small/c"
  check "full disk: the core still verifies ($(msg))" [ "$RC" -eq 0 ]
  hm core append "$WORK/small/c" "$WORK/small-block"
  check "full disk: a smaller append still works (got $RC: $(msg))" [ "$RC" -eq 0 ]
  hm core get "$WORK/small/c" 1
  check "full disk: and reads back" cmp -s "$WORK/out" "$WORK/small-block"

  echo "# a clone the store's file system cannot hold: a clear error, the peer not blamed"
  head -c 500000 /dev/urandom >"$WORK/mb"
  hm core new "$WORK/served"
  hm core append "$WORK/served" "$WORK/mb" "$WORK/mb" "$WORK/mb" "$WORK/mb" "$WORK/mb" "$WORK/mb"
  SKEY=$("$HYPERMOUNT" core info "$WORK/served" | sed -n 's/^key: //p')
  "$HYPERMOUNT" core serve "$WORK/served" --listen 127.0.0.1:0 >"$WORK/cserve.out" 2>"$WORK/cserve.err" &
  CSERVE=$!
  wait_for "$WORK/cserve.out" '^listening on' 30 || fail "core serve did not start: $(head -c 300 "$WORK/cserve.err")"
  CPEER=127.0.0.1:$(sed -n 's/^listening on 127\.0\.0\.1://p' "$WORK/cserve.out")
  hm core clone "$SKEY" "$WORK/small/clone" --peer "$CPEER"
  check "disk full during a clone: it fails (got $RC: $(msg))" [ "$RC" -ge 1 -a "$RC" -lt 124 ]
  check "disk full during a clone: the message says which block could not be stored, and why" \
    grep -q "cannot store block .*No space left on device" "$WORK/err"
  check "disk full during a clone: the peer is not dropped as a bad peer" bash -c "! grep -q 'failed verification' '$WORK/err'"
  hm core verify "$WORK/small/clone"
  check "disk full during a clone: what landed verifies ($(msg))" [ "$RC" -eq 0 ]
  hm core info "$WORK/small/clone"
  LANDED=$(sed -n 's/^blocks-present: //p' "$WORK/out")
  check "disk full during a clone: some blocks landed, not all ($LANDED of 6)" [ "${LANDED:-0}" -ge 1 -a "${LANDED:-6}" -lt 6 ]
  rm -rf "$WORK/small/c"
  hm core clone "$SKEY" "$WORK/small/clone" --peer "$CPEER"
  check "room given back: the clone finishes (got $RC: $(msg))" [ "$RC" -eq 0 ]
  hm core get "$WORK/small/clone" 5
  check "room given back: the last block reads back" cmp -s "$WORK/out" "$WORK/mb"
  kill "$CSERVE" 2>/dev/null; wait "$CSERVE" 2>/dev/null
  umount "$WORK/small"
fi

echo "# clone from a peer nobody listens on: a clear error, at once"
# A port that was just free: bound and released by a listener that exits at once.
FREE_PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
hm core clone "$(printf 'ab%.0s' $(seq 32))" "$WORK/unreached" --peer "127.0.0.1:$FREE_PORT"
check "clone from an unreachable peer fails (got $RC: $(msg))" [ "$RC" -ge 1 -a "$RC" -lt 124 ]
check "clone from an unreachable peer: message names the peer" grep -q "no peer reachable (127.0.0.1:$FREE_PORT" <(cat "$WORK/out" "$WORK/err")
finish
