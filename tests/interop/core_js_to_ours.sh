#!/usr/bin/env bash
# JS (hypercore 8.14.0) writes cores; hypermount reads them: info, blocks, verify.
source "$(dirname "$0")/common.sh"

# check_js_core DIR MANIFEST INDEX... : info, get of the listed blocks, get past the end, verify
check_js_core() {
  local core=$1 m=$2 len before
  shift 2
  len=$(jget "$m" m.length)
  before=$(snapshot "$core")
  hm core info "$core"
  check "info exits 0 ($(msg))" [ "$RC" -eq 0 ]
  check "info key" [ "$(info_field key)" = "$(jget "$m" m.key)" ]
  check "info discovery-key" [ "$(info_field discovery-key)" = "$(jget "$m" m.discoveryKey)" ]
  check "info length = $len" [ "$(info_field length)" = "$len" ]
  check "info byte-length" [ "$(info_field byte-length)" = "$(jget "$m" m.byteLength)" ]
  check "info blocks-present = $len" [ "$(info_field blocks-present)" = "$len" ]
  check "info writable: yes" [ "$(info_field writable)" = "yes" ]

  jget "$m" m.blocks >"$WORK/all-expected"
  pick "$WORK/all-expected" "$@" >"$WORK/expected"
  jget "$m" m.sizes >"$WORK/sizes"
  get_sha_sized "$core" "$WORK/sizes" "$@" >"$WORK/actual"
  if cmp -s "$WORK/expected" "$WORK/actual"; then pass "get: $# blocks match the manifest"
  else fail "get: blocks differ: $(first_diff "$WORK/expected" "$WORK/actual") $(head -c 300 "$WORK/get-errors")"; fi

  hm core get "$core" "$len"
  check "get $len (past the end) exits 3 (got $RC)" [ "$RC" -eq 3 ]
  check "get $len prints a message on stderr" [ -s "$WORK/err" ]

  hm core verify "$core"
  check "verify exits 0 ($(msg))" [ "$RC" -eq 0 ]
  check "verify says 'ok: $len blocks verified'" grep -q "ok: $len blocks verified" "$WORK/out"
  check "reading left every file unchanged" [ "$(snapshot "$core")" = "$before" ]
}

echo "# JS writes the rich core (0 B .. 3 MiB blocks, ~3000 small ones, single and batched appends)"
js write-core.js "$WORK/rich" rich >"$WORK/rich.json"
echo "# hypermount reads every block of it"
check_js_core "$WORK/rich" "$WORK/rich.json" $(seq 0 $(($(jget "$WORK/rich.json" m.length) - 1)))

echo "# JS writes a core of 10064 blocks (bitfield of two pages)"
js write-core.js "$WORK/pages" pages >"$WORK/pages.json"
LEN=$(jget "$WORK/pages.json" m.length)
echo "# hypermount reads the big blocks, those around the page boundary (8192) and every 101st"
check_js_core "$WORK/pages" "$WORK/pages.json" 0 1 2 3 5 6 $(seq 8180 8200) $(seq 3 101 "$LEN") $((LEN - 4)) $((LEN - 1))
finish
