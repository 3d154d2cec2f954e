#!/usr/bin/env bash
# Sparse on demand over the network, block counts: our `drive serve` serves a drive of 300 files
# in 10 directories plus a 3 MiB file. From an empty store, `drive stat PATH --peer` must download
# no more metadata blocks than JS hyperdrive (a sparse replica of each stack) downloads for the
# same stat (counted from its 'download' events), and far fewer than the log holds; `drive cat` of the big file must then add exactly
# that file's content blocks (and no other content block).
source "$(dirname "$0")/drive_lib.sh"

core_folders() { find "$1" -mindepth 3 -maxdepth 3 -type d; }
# present STORE KEY: blocks present in the core KEY of STORE ('none' when it has no such core)
present() {
  local d
  for d in $(core_folders "$1"); do
    if [ "$("$HYPERMOUNT" core info "$d" | sed -n 's/^key: //p')" = "$2" ]; then
      "$HYPERMOUNT" core info "$d" | sed -n 's/^blocks-present: //p'; return
    fi
  done
  echo none
}

S=$WORK/served
KEY=$("$HYPERMOUNT" drive create --store "$S")
for d in $(seq 0 9); do
  for f in $(seq 0 29); do
    printf 'file %s of dir %s\n' "$f" "$d" | "$HYPERMOUNT" drive put "$KEY" "/d$d/f$f.txt" --store "$S" ||
      fail "drive put /d$d/f$f.txt"
  done
done
head -c 3145728 /dev/urandom >"$WORK/big.bin"
"$HYPERMOUNT" drive put "$KEY" /d4/big.bin "$WORK/big.bin" --store "$S"
TOTAL=$(present "$S" "$KEY")
echo "# drive $KEY: $TOTAL metadata blocks"

timeout 300 "$HYPERMOUNT" drive serve "$KEY" --listen 127.0.0.1:0 --protocol 8 --store "$S" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
wait_for "$WORK/serve.out" '^listening on' 30 || fail "drive serve did not start: $(head -c 300 "$WORK/serve.err")"
PEER=127.0.0.1:$(port_of "$WORK/serve.out")

for P in /d7/f13.txt /d4/big.bin; do
  R=$WORK/ours${P//\//_}
  hm drive stat "$KEY" "$P" --store "$R" --peer "$PEER"
  check "stat $P --peer from an empty store works ($(msg))" grep -q '^mode: 100644' "$WORK/out"
  OURS=$(present "$R" "$KEY")
  J=$WORK/js${P//\//_}
  RC=0; timeout 120 env NODE_PATH="$HM_JS_P8/node_modules" node "$JS_SHARED/drive-stat-sparse.js" "$J" "$KEY" "$PEER" "$P" >"$WORK/js.out" 2>"$WORK/js.err" || RC=$?
  check "JS 10.21.0 sparse stat $P (exit $RC: $(head -c 200 "$WORK/js.err"))" [ "$RC" -eq 0 ]
  JS=$(jget "$WORK/js.out" m.downloaded)
  check "stat $P downloads $OURS of $TOTAL metadata blocks; JS downloads $JS" [ "$OURS" -le "$JS" ] 2>/dev/null
  check "stat $P downloads under a tenth of the log ($OURS of $TOTAL)" [ $((OURS * 10)) -lt "$TOTAL" ] 2>/dev/null
done

R=$WORK/ours_d4_big.bin
BLOCKS=$(sed -n 's/^blocks: //p' "$WORK/out")
OFFSET=$(sed -n 's/^offset: //p' "$WORK/out")
hm drive cat "$KEY" /d4/big.bin --store "$R" --peer "$PEER"
check "cat /d4/big.bin --peer returns the file (exit $RC: $(head -c 300 "$WORK/err"))" cmp -s "$WORK/out" "$WORK/big.bin"
CONTENT=
for d in $(core_folders "$R"); do
  k=$("$HYPERMOUNT" core info "$d" | sed -n 's/^key: //p')
  [ "$k" = "$KEY" ] || CONTENT=$d
done
check "reading the file downloads exactly its $BLOCKS content blocks (present: $("$HYPERMOUNT" core info "$CONTENT" | sed -n 's/^blocks-present: //p'))" \
  [ "$("$HYPERMOUNT" core info "$CONTENT" | sed -n 's/^blocks-present: //p')" = "$BLOCKS" ]
for b in $(seq "$OFFSET" $((OFFSET + BLOCKS - 1))); do
  "$HYPERMOUNT" core get "$CONTENT" "$b" >/dev/null 2>&1 || fail "content block $b of the file is not present"
done
kill -0 "$SERVE_PID" 2>/dev/null || fail "drive serve ended early: $(head -c 300 "$WORK/serve.err")"
finish
