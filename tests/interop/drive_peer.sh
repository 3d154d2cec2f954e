#!/usr/bin/env bash
# `drive ls|stat|cat|xattr --peer`: reading a remote drive by key without FUSE. Our `drive serve`
# serves a drive from store S1 (small files, a 3 MiB file, a directory, a symlink, an xattr);
# `drive ... --peer` from an empty store S2 must print what the local reads in S1 print, for
# protocol 7 and 8; and `drive cat` of one small file must leave the content core in S2 sparse
# (far fewer blocks present than its length). No JS needed.
# Environment: HYPERMOUNT = our binary. Exit: 0 pass, 1 fail.
set -euo pipefail

H=${HYPERMOUNT:-}
if [ -z "$H" ] || [ ! -x "$H" ]; then echo "FAIL: HYPERMOUNT='$H' is not an executable"; exit 1; fi
WORK=$(mktemp -d)
cleanup() {
  local p  # this script's jobs still running (a remembered PID may be another test's by now)
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${HM_KEEP:-}" ]; then rm -rf "$WORK"; else echo "work folder (kept): $WORK"; fi
}
trap cleanup EXIT

FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
hm() { timeout 60 "$H" "$@"; }

wait_for() { # FILE REGEX SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# manifest KEY STORE [ARGS...]: every entry below / with its ls line, Stat (times included)
# and, for files, the sha256 of `drive cat`; ARGS (e.g. --peer H:P) go to every command.
manifest() {
  local key=$1 store=$2; shift 2
  _walk "$key" "$store" / "$@"
}
_walk() {
  local key=$1 store=$2 dir=$3 line name path listing; shift 3
  listing=$(hm drive ls "$key" "$dir" --store "$store" "$@" 2>&1) || { echo "ERROR ls $dir: $listing"; return; }
  echo "ls $dir"; echo "$listing"
  [ -n "$listing" ] || return 0
  while IFS= read -r line; do
    name=$(sed -E 's/^. +[0-9]+ //; s/ -> .*//' <<<"$line")
    if [ "$dir" = / ]; then path=/$name; else path=$dir/$name; fi
    echo "stat $path"; hm drive stat "$key" "$path" --store "$store" "$@" 2>&1 || echo "ERROR stat $path"
    echo "xattr $path"; hm drive xattr "$key" "$path" --store "$store" "$@" 2>&1 || echo "ERROR xattr $path"
    case $line in
      -*) echo "sha $path $( (hm drive cat "$key" "$path" --store "$store" "$@" || echo "ERROR cat $path") | sha256sum | cut -d' ' -f1)" ;;
      d*) _walk "$key" "$store" "$path" "$@" ;;
    esac
  done <<<"$listing"
}

# core_folders STORE: the core folders of a store (xx/yy/<discovery key hex>).
core_folders() { find "$1" -mindepth 3 -maxdepth 3 -type d; }

S1=$WORK/s1
KEY=$(hm drive create --store "$S1")
printf 'hello\n' >"$WORK/a.txt"
printf 'second file\n' >"$WORK/b.txt"
head -c 3145728 /dev/urandom >"$WORK/big.bin"
hm drive put "$KEY" /a.txt "$WORK/a.txt" --store "$S1"
hm drive put "$KEY" /sub/b.txt "$WORK/b.txt" --store "$S1"
hm drive put "$KEY" /dir/big.bin "$WORK/big.bin" --store "$S1"
hm drive mkdir "$KEY" /empty --store "$S1"
hm drive symlink "$KEY" a.txt /link --store "$S1"
hm drive xattr "$KEY" /a.txt user.colour blue --store "$S1"

# The content core of S1: the core that is not the metadata core (the drive key).
CONTENT_KEY= CONTENT_LENGTH=
for d in $(core_folders "$S1"); do
  k=$(hm core info "$d" | sed -n 's/^key: //p')
  if [ "$k" != "$KEY" ]; then CONTENT_KEY=$k; CONTENT_LENGTH=$(hm core info "$d" | sed -n 's/^length: //p'); fi
done
[ -n "$CONTENT_KEY" ] || { echo "FAIL: no content core in $S1"; exit 1; }
echo "# drive $KEY, content core length $CONTENT_LENGTH"

manifest "$KEY" "$S1" >"$WORK/local.txt"
if grep -q ERROR "$WORK/local.txt"; then fail "local reads in S1: $(grep ERROR "$WORK/local.txt" | head -n3)"; fi

for V in 7 8; do
  echo "# protocol $V"
  S2=$WORK/s2-p$V
  timeout 300 "$H" drive serve "$KEY" --listen 127.0.0.1:0 --protocol $V --store "$S1" \
    >"$WORK/serve$V.out" 2>"$WORK/serve$V.err" &
  SP=$!
  if ! wait_for "$WORK/serve$V.out" '^listening on' 30; then
    fail "p$V: drive serve did not start: $(head -c 300 "$WORK/serve$V.err")"; continue
  fi
  PEER=127.0.0.1:$(sed -n 's/^listening on 127\.0\.0\.1://p' "$WORK/serve$V.out" | head -n1)
  PROTO=$V; [ "$V" = 8 ] && PROTO=auto  # auto must pick what the responder speaks

  # Sparse: one small file from an empty store fetches few content blocks.
  if got=$(hm drive cat "$KEY" /a.txt --store "$S2" --peer "$PEER" --protocol "$PROTO" 2>"$WORK/cat.err") &&
     [ "$got" = hello ]; then
    pass "p$V: drive cat --peer of /a.txt from an empty store"
  else
    fail "p$V: drive cat --peer of /a.txt: '$got' $(head -c 300 "$WORK/cat.err")"
  fi
  present= length=
  for d in $(core_folders "$S2"); do
    l=$(hm core info "$d" | sed -n 's/^length: //p')
    k=$(hm core info "$d" | sed -n 's/^key: //p')
    if [ "$k" != "$KEY" ] && [ "$l" = "$CONTENT_LENGTH" ]; then
      length=$l; present=$(hm core info "$d" | sed -n 's/^blocks-present: //p')
      [ "$k" = "$CONTENT_KEY" ] || fail "p$V: the S2 core of length $l is not the content core"
    fi
  done
  if [ -n "$length" ] && [ "$present" -le 2 ] && [ "$present" -lt "$length" ]; then
    pass "p$V: sparse: $present of $length content blocks present after one small cat"
  else
    fail "p$V: sparse: content core in S2 has '$present' of '$length' blocks (want <= 2 of $CONTENT_LENGTH)"
  fi

  # Everything read over the network matches the local reads in S1.
  manifest "$KEY" "$S2" --peer "$PEER" --protocol "$PROTO" >"$WORK/peer$V.txt"
  if cmp -s "$WORK/local.txt" "$WORK/peer$V.txt"; then
    pass "p$V: drive ls/stat/xattr/cat --peer match the local reads"
  else
    fail "p$V: --peer reads differ from local reads: $(diff "$WORK/local.txt" "$WORK/peer$V.txt" | head -n 8 | tr '\n' ' ')"
  fi
  # What was fetched stays: the same reads from S2 alone now work without the peer.
  manifest "$KEY" "$S2" >"$WORK/after$V.txt"
  if cmp -s "$WORK/local.txt" "$WORK/after$V.txt"; then
    pass "p$V: the fetched blocks stay in S2 (local reads match)"
  else
    fail "p$V: local reads in S2 after fetching differ: $(diff "$WORK/local.txt" "$WORK/after$V.txt" | head -n 6 | tr '\n' ' ')"
  fi
  # Writing needs the keys: --peer is refused for a write.
  if hm drive xattr "$KEY" /a.txt user.x y --store "$S2" --peer "$PEER" >/dev/null 2>&1; then
    fail "p$V: drive xattr set with --peer succeeded"
  else
    pass "p$V: drive xattr set with --peer is refused"
  fi

  kill "$SP" 2>/dev/null || true
  RC=0; wait "$SP" || RC=$?
  if [ "$RC" -eq 0 ]; then pass "p$V: drive serve exits 0 on SIGTERM"; else fail "p$V: drive serve exited $RC"; fi
done

if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all checks passed"
