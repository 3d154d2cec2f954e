#!/usr/bin/env bash
# JS (hyperdrive 10.8.16 / corestore 5.2 and hyperdrive 10.21.0 / corestore 5.8.2) writes a rich
# drive into a corestore folder; with JS closed, our `drive ls/stat/cat/xattr --store` on that
# folder must show exactly what JS reads back: listing, modes, sizes, Stat fields, sha256 of the
# contents, link targets and xattrs, for the latest version and for a checkout before the deletions.
source "$(dirname "$0")/drive_lib.sh"

for V in 7 8; do
  JSD=$(jsdir $V)
  S=$WORK/js$V
  echo "# p$V: JS ($(node -p 'require(process.argv[1]).version' "$JSD/node_modules/hyperdrive/package.json")) writes the rich drive in $S"
  RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-write.js" "$S" >"$WORK/w$V.json" 2>"$WORK/w$V.err" || RC=$?
  if [ "$RC" -ne 0 ]; then fail "p$V: drive-write.js failed ($RC): $(head -c 400 "$WORK/w$V.err")"; continue; fi
  KEY=$(jget "$WORK/w$V.json" m.key)
  VB=$(jget "$WORK/w$V.json" m.versions.beforeDelete)
  VF=$(jget "$WORK/w$V.json" m.versions.final)
  js_lines "$WORK/w$V.json" >"$WORK/js$V.lines"
  js_lines "$WORK/w$V.json" linesBeforeDelete >"$WORK/js$V.before"
  before=$(snapshot "$S")

  echo "# p$V: hypermount reads it (key $KEY, version $VF)"
  hm_manifest "$KEY" "$S" >"$WORK/hm$V.lines"
  same_manifest "p$V: our manifest of the latest version equals JS's" "$WORK/js$V.lines" "$WORK/hm$V.lines"
  hm_manifest "hyper://$KEY+$VB" "$S" >"$WORK/hm$V.before"
  same_manifest "p$V: our checkout hyper://KEY+$VB equals JS's checkout($VB)" "$WORK/js$V.before" "$WORK/hm$V.before"

  # Spot checks that do not depend on the manifest code.
  hm drive cat "$KEY" /big.bin --store "$S"
  check "p$V: cat /big.bin: $(wc -c <"$WORK/out") bytes, the deterministic 3 MiB + 123" \
    cmp -s "$WORK/out" <(node -e 'process.stdout.write(require(process.argv[1]).fileBytes("big", require(process.argv[1]).BIG))' "$JS_SHARED/drive-lib.js")
  hm drive cat "$KEY" /overwrite.txt --store "$S"
  check "p$V: latest /overwrite.txt is the second version (got '$(head -c 60 "$WORK/out")')" [ "$(cat "$WORK/out")" = "second, longer version" ]
  hm drive cat "hyper://$KEY+$VB" /overwrite.txt --store "$S"
  check "p$V: checkout $VB /overwrite.txt is the first version (got '$(head -c 60 "$WORK/out")')" [ "$(cat "$WORK/out")" = "first version" ]
  hm drive cat "hyper://$KEY+$VB" /todelete.txt --store "$S"
  check "p$V: checkout $VB still has /todelete.txt (got '$(head -c 60 "$WORK/out")' rc $RC)" [ "$(cat "$WORK/out")" = "short lived" ]
  hm drive stat "$KEY" /todelete.txt --store "$S"
  check "p$V: latest: stat /todelete.txt fails with exit 3 (got $RC: $(msg))" [ "$RC" -eq 3 ]
  hm drive ls "$KEY" / --store "$S"
  check "p$V: latest: ls / lists readme.txt but no todelete.txt nor tmpdir" \
    awk '/ readme\.txt$/ { r = 1 } / (todelete\.txt|tmpdir)$/ { bad = 1 } END { exit !(r && !bad) }' "$WORK/out"
  hm drive ls "hyper://$KEY+$VB" / --store "$S"
  check "p$V: checkout: ls / has todelete.txt and tmpdir" grep -q ' todelete\.txt$' "$WORK/out"
  grep -q ' tmpdir$' "$WORK/out" || fail "p$V: checkout: ls / lacks tmpdir"
  hm drive ls "$KEY" /dir --store "$S"
  check "p$V: ls /dir shows the unicode and space names" grep -q ' ünïcödé 文件\.txt$' "$WORK/out"
  grep -q ' with space\.txt$' "$WORK/out" || fail "p$V: ls /dir lacks 'with space.txt'"
  hm drive stat "$KEY" /link --store "$S"
  check "p$V: stat /link: linkname /dir/sub/deep/file.txt" grep -qx 'linkname: /dir/sub/deep/file.txt' "$WORK/out"
  hm drive xattr "$KEY" /readme.txt user.comment --store "$S"
  check "p$V: xattr user.comment = 'hello xattr' (got '$(cat "$WORK/out")')" [ "$(cat "$WORK/out")" = "hello xattr" ]
  # JS removeMetadata leaves a value-less entry that JS still lists (getMetadata: user.gone = null);
  # we do not list it and reading it is "not found".
  hm drive xattr "$KEY" /readme.txt user.gone --store "$S"
  check "p$V: removed xattr user.gone reads as not found (exit 3, got $RC)" [ "$RC" -eq 3 ]
  hm drive xattr "$KEY" /readme.txt --store "$S"
  check "p$V: xattr list of /readme.txt: user.bin user.comment (got $(sort "$WORK/out" | paste -sd' '))" [ "$(sort "$WORK/out" | paste -sd' ')" = "user.bin user.comment" ]
  hm drive mounts "$KEY" --store "$S"
  check "p$V: drive mounts lists /mnt -> the JS sub-drive (got '$(cat "$WORK/out")')" \
    [ "$(cat "$WORK/out")" = "/mnt hyper://$(jget "$WORK/w$V.json" m.versions.mounted)" ]
  hm drive cat "$KEY" /mnt/through.txt --store "$S"
  check "p$V: /mnt/through.txt (written by JS through the mount) reads back" [ "$(cat "$WORK/out")" = "written through the mount" ]
  check "p$V: reading left every file of the JS store unchanged" [ "$(snapshot "$S")" = "$before" ]

  echo "# p$V: JS mounts a drive inside itself; we end with an error there and read the rest"
  RC=0; timeout 60 env NODE_PATH="$JSD/node_modules" node -e '
    const hyperdrive = require("hyperdrive")
    const drive = hyperdrive(process.argv[1])
    const call = (m, ...a) => new Promise((res, rej) => drive[m](...a, (e, v) => e ? rej(e) : res(v)))
    ;(async () => {
      await call("ready")
      await call("writeFile", "/f.txt", Buffer.from("outside the cycle"))
      await call("mount", "/self", drive.key)
      console.log(drive.key.toString("hex"))
      await call("close")
    })().catch(e => { console.error(e); process.exit(1) })' "$WORK/cycle$V" >"$WORK/cycle.key" 2>"$WORK/cycle.err" || RC=$?
  CK=$(cat "$WORK/cycle.key")
  check "p$V: JS wrote the self-mount (exit $RC: $(head -c 200 "$WORK/cycle.err"))" [ "$RC" -eq 0 ]
  hm drive ls "$CK" /self --store "$WORK/cycle$V"
  check "p$V: ls /self ends with a mount-cycle error (exit $RC: $(msg))" grep -q "mount cycle" "$WORK/err"
  hm drive cat "$CK" /self/self/f.txt --store "$WORK/cycle$V"
  check "p$V: cat /self/self/f.txt ends with the same error (exit $RC)" grep -q "mount cycle" "$WORK/err"
  hm drive cat "$CK" /f.txt --store "$WORK/cycle$V"
  check "p$V: /f.txt still reads" [ "$(cat "$WORK/out")" = "outside the cycle" ]
  hm drive ls "$CK" / --store "$WORK/cycle$V"
  check "p$V: ls / lists the mount point self" grep -q '^m .* self$' "$WORK/out"

  echo "# p$V: JS reopens the store after us and still reads the same drive"
  RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$S" "$KEY" >"$WORK/r$V.json" 2>"$WORK/r$V.err" || RC=$?
  check "p$V: drive-read.js exits 0 ($RC: $(head -c 300 "$WORK/r$V.err"))" [ "$RC" -eq 0 ]
  [ "$RC" -eq 0 ] && check "p$V: JS re-read manifest unchanged" cmp -s <(js_lines "$WORK/r$V.json") "$WORK/js$V.lines"

  echo "# p$V: we write into JS's drive (and through its mount into the JS sub-drive) from its store"
  printf 'written by hypermount\n' >"$WORK/ours.txt"
  hm drive put "$KEY" /from-hypermount.txt "$WORK/ours.txt" --store "$S"
  check "p$V: drive put into the JS-created drive (exit $RC: $(msg))" [ "$RC" -eq 0 ]
  hm drive put "$KEY" /mnt/ours-through.txt "$WORK/ours.txt" --store "$S"
  check "p$V: drive put through /mnt into the JS sub-drive (exit $RC: $(msg))" [ "$RC" -eq 0 ]
  RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$S" "$KEY" >"$WORK/rw$V.json" 2>"$WORK/rw$V.err" || RC=$?
  SHA=$(sha256sum <"$WORK/ours.txt" | cut -d' ' -f1)
  for f in /from-hypermount.txt /mnt/ours-through.txt; do
    check "p$V: JS reads $f as we wrote it ($(head -c 200 "$WORK/rw$V.err"))" \
      grep -q "^$f	-	100644	22	.*	$SHA	" <(js_lines "$WORK/rw$V.json" 2>/dev/null)
  done
done
finish
