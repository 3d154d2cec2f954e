#!/usr/bin/env bash
# hypermount writes a core (files of many sizes, stdin lines, several batches); JS hypercore 8.14.0
# reads it, audits it and appends 3 blocks; hypermount then verifies and reads JS's blocks.
source "$(dirname "$0")/common.sh"

CORE=$WORK/core
mkdir -p "$WORK/files"
: >"$WORK/expected"     # sha256 of every block we append, in order
LEN=0

# append_files NAME... : one `core append` batch of files named by their size in bytes
append_files() {
  local args=() f
  for f in "$@"; do
    [ -f "$WORK/files/$f" ] || gen ours "$f" "$f" >"$WORK/files/$f"
    args+=("$WORK/files/$f")
    sha256sum <"$WORK/files/$f" | cut -d' ' -f1 >>"$WORK/expected"
  done
  LEN=$((LEN + $#))
  hm core append "$CORE" "${args[@]}"
  check "append $# file(s) [$*] -> length $LEN ($(msg))" [ "$RC:$(cat "$WORK/out")" = "0:$LEN" ]
}

# append_lines FILE : one `core append` batch from stdin, one block per line
append_lines() {
  local n
  n=$(wc -l <"$1")
  node -e 'const c = require("crypto"); const t = require("fs").readFileSync(process.argv[1], "utf8");
    for (const l of t.split("\n").slice(0, -1)) console.log(c.createHash("sha256").update(l).digest("hex"))' "$1" >>"$WORK/expected"
  LEN=$((LEN + n))
  RC=0; timeout 120 "$HYPERMOUNT" core append "$CORE" <"$1" >"$WORK/out" 2>"$WORK/err" || RC=$?
  check "append $n stdin line(s) -> length $LEN ($(msg))" [ "$RC:$(cat "$WORK/out")" = "0:$LEN" ]
}

# write_manifest FILE : manifest for check-core.js from $KEY and $WORK/expected
write_manifest() {
  node -e 'const fs = require("fs"); const [key, exp, out] = process.argv.slice(1);
    const blocks = fs.readFileSync(exp, "utf8").trim().split("\n");
    fs.writeFileSync(out, JSON.stringify({ key, length: blocks.length, blocks }))' "$KEY" "$WORK/expected" "$1"
}

echo "# core new"
hm core new "$CORE"
KEY=$(tr -d '[:space:]' <"$WORK/out")
check "new exits 0 ($(msg))" [ "$RC" -eq 0 ]
check "new prints a 64-hex key" grep -Eqx "[0-9a-f]{64}" <<<"$KEY"
check "key file holds that key" [ "$(od -An -tx1 -v "$CORE/key" | tr -d ' \n')" = "$KEY" ]
check "secret_key is 64 bytes" [ "$(stat -c %s "$CORE/secret_key")" = 64 ]

echo "# appends in several batches"
append_files 0
append_files 1
append_files 4096 65536 1
append_files 1048576
append_files 3145728 0 4096 4097
# zero blocks are holes in our data file, and read the same in JS
head -c 65536 /dev/zero >"$WORK/files/zeros65536"
head -c 1048576 /dev/zero >"$WORK/files/zeros1048576"
append_files zeros65536 4096 zeros1048576
check "the zero blocks take no space in the data file" \
  [ $(( $(stat -c %s "$CORE/data") - $(stat -c '%b * %B' "$CORE/data") )) -ge 1048576 ]
seq 1 2000 | sed 's/^/line /' >"$WORK/lines1"
append_lines "$WORK/lines1"
for i in $(seq 1 30); do printf 'single %d\n' "$i" >"$WORK/one"; append_lines "$WORK/one"; done
{ seq 1 100 | sed 's/^/x/'; echo; seq 1 6900 | sed 's/^/after empty line /'; } >"$WORK/lines2"   # crosses 8192 blocks
append_lines "$WORK/lines2"
append_files 65536 3145728 100000

write_manifest "$WORK/manifest.json"

echo "# our info and verify"
hm core info "$CORE"
check "info length = $LEN" [ "$(info_field length)" = "$LEN" ]
check "info blocks-present = $LEN" [ "$(info_field blocks-present)" = "$LEN" ]
check "info writable: yes" [ "$(info_field writable)" = "yes" ]
OUR_BYTES=$(info_field byte-length)
check "info byte-length = size of data ($OUR_BYTES)" [ "$OUR_BYTES" = "$(stat -c %s "$CORE/data")" ]
hm core verify "$CORE"
check "verify exits 0 ($(msg))" [ "$RC" -eq 0 ]

echo "# JS check-core.js: key, length, audit, signature, every block, then appends 3 blocks"
RC=0; js check-core.js "$CORE" "$WORK/manifest.json" >"$WORK/js.json" 2>"$WORK/js.err" || RC=$?
check "check-core.js passes ($(head -c 600 "$WORK/js.json") $(head -c 300 "$WORK/js.err"))" [ "$RC" -eq 0 ]
check "JS byteLength = ours" [ "$(jget "$WORK/js.json" m.byteLength)" = "$OUR_BYTES" ]
check "JS audit: 0 invalid" [ "$(jget "$WORK/js.json" m.audit.invalid)" = 0 ]
check "JS appended 3 blocks" [ "$(jget "$WORK/js.json" 'm.appended && m.appended.length')" = 3 ]

echo "# we read the JS-appended blocks"
hm core verify "$CORE"
check "verify after JS append exits 0 ($(msg))" [ "$RC" -eq 0 ]
check "verify says 'ok: $((LEN + 3)) blocks verified'" grep -q "ok: $((LEN + 3)) blocks verified" "$WORK/out"
hm core info "$CORE"
check "info length = $((LEN + 3))" [ "$(info_field length)" = "$((LEN + 3))" ]
check "info byte-length = JS's" [ "$(info_field byte-length)" = "$(jget "$WORK/js.json" m.afterAppend.byteLength)" ]
for k in 0 1 2; do
  seq=$(jget "$WORK/js.json" "m.appended[$k].seq"); want=$(jget "$WORK/js.json" "m.appended[$k].sha256")
  hm core get "$CORE" "$seq"
  check "get $seq (JS-appended) matches" [ "$RC:$(sha256sum <"$WORK/out" | cut -d' ' -f1)" = "0:$want" ]
  echo "$want" >>"$WORK/expected"
done
LEN=$((LEN + 3))
mapfile -t SAMPLE < <(seq 0 12; seq 8185 8200; seq 2 97 "$LEN"; echo $((LEN - 4)); echo $((LEN - 1)))
pick "$WORK/expected" "${SAMPLE[@]}" >"$WORK/want"
get_sha "$CORE" "${SAMPLE[@]}" >"$WORK/actual"
if cmp -s "$WORK/want" "$WORK/actual"; then pass "get: ${#SAMPLE[@]} blocks (start, page boundary, every 97th, end) match"
else fail "get: blocks differ: $(first_diff "$WORK/want" "$WORK/actual")"; fi

echo "# we append after JS, JS reads again"
append_files 4096 1
write_manifest "$WORK/manifest2.json"
RC=0; js check-core.js "$CORE" "$WORK/manifest2.json" --no-append >"$WORK/js2.json" 2>"$WORK/js.err" || RC=$?
check "check-core.js after our append ($(head -c 400 "$WORK/js2.json") $(head -c 300 "$WORK/js.err"))" [ "$RC" -eq 0 ]
finish
