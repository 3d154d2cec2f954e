#!/usr/bin/env bash
# JS (hypercore 8.14.0) makes sparse replicas by replication; hypermount reads them:
# present blocks read correctly, missing ones exit 3, info counts present blocks.
source "$(dirname "$0")/common.sh"

echo "# JS writes a 10064-block core, then a sparse replica with a few blocks (both sides of the 8192-block bitfield page)"
js write-core.js "$WORK/src" pages >"$WORK/manifest.json"
LEN=$(jget "$WORK/manifest.json" m.length)
LAST=$((LEN - 1))
WANT="1,3,5-7,2050,8191-8193,$LAST"
js sparse-core.js "$WORK/src" "$WORK/sparse" "$WANT" >"$WORK/sparse.json"
mapfile -t PRESENT < <(jget "$WORK/sparse.json" m.downloaded)
MISSING=(0 2 4 8 100 2049 2051 8190 8194 9000 $((LAST - 1)))
js check-core.js "$WORK/sparse" "$WORK/manifest.json" --allow-missing >"$WORK/js.json"
echo "# replica: ${#PRESENT[@]} blocks present (${WANT}) of $LEN"

check_replica() { # DIR NPRESENT
  local dir=$1 npresent=$2 before i want
  before=$(snapshot "$dir")
  hm core info "$dir"
  check "info exits 0 ($(msg))" [ "$RC" -eq 0 ]
  check "info key" [ "$(info_field key)" = "$(jget "$WORK/manifest.json" m.key)" ]
  check "info length = $LEN" [ "$(info_field length)" = "$LEN" ]
  check "info byte-length = JS's" [ "$(info_field byte-length)" = "$(jget "$WORK/js.json" m.byteLength)" ]
  check "info blocks-present = $npresent" [ "$(info_field blocks-present)" = "$npresent" ]
  check "info writable: no" [ "$(info_field writable)" = "no" ]
  for i in "${PRESENT[@]:0:$npresent}"; do
    want=$(jget "$WORK/manifest.json" "m.blocks[$i]")
    hm core get "$dir" "$i"
    check "get $i (present) matches" [ "$RC:$(sha256sum <"$WORK/out" | cut -d' ' -f1)" = "0:$want" ]
  done
  for i in "${MISSING[@]}"; do
    hm core get "$dir" "$i"
    check "get $i (missing) exits 3 (got $RC: $(msg))" [ "$RC" -eq 3 ]
    check "get $i (missing) prints a message on stderr" [ -s "$WORK/err" ]
    check "get $i (missing) writes nothing to stdout" [ ! -s "$WORK/out" ]
  done
  hm core verify "$dir"
  check "verify exits 0 ($(msg))" [ "$RC" -eq 0 ]
  check "verify says 'ok: $npresent blocks verified'" grep -q "ok: $npresent blocks verified" "$WORK/out"
  hm core append "$dir" "$WORK/manifest.json"
  check "append on a replica exits 5 (got $RC: $(msg))" [ "$RC" -eq 5 ]
  check "replica files unchanged" [ "$(snapshot "$dir")" = "$before" ]
}
check_replica "$WORK/sparse" "${#PRESENT[@]}"

echo "# JS head-only replica (nothing downloaded, no data file)"
js sparse-core.js "$WORK/src" "$WORK/head" "" >/dev/null
check "JS wrote no data file" [ ! -e "$WORK/head/data" ]
check_replica "$WORK/head" 0
finish
