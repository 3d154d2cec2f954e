#!/usr/bin/env bash
# We write a rich drive with our `drive` commands (both content-core lines: --v10.8 and 10.21);
# the JS stacks (hyperdrive 10.8.16 / corestore 5.2, hyperdrive 10.21.0 / corestore 5.8.2) open
# our corestore folder by drive key and must read exactly what we read: listing, Stat fields,
# contents (sha256), symlink targets, xattrs, and a checkout before the deletions. Then JS writes
# a file into our drive (our store's name files must give it the keys) and we read that file.
source "$(dirname "$0")/drive_lib.sh"

H=$HYPERMOUNT
# put KEY PATH FILE / run ... : our write commands; any failure is a test failure
run() { local rc=0; timeout 120 "$H" "$@" >"$WORK/run.out" 2>&1 || rc=$?; [ "$rc" -eq 0 ] || fail "hypermount $* exited $rc: $(head -c 300 "$WORK/run.out")"; }

# metadata_length STORE KEY: the length of the core KEY of the store (its folder found by key)
metadata_length() {
  local f
  for f in "$1"/*/*/*/key; do
    if [ "$(od -An -v -tx1 "$f" | tr -d ' \n')" = "$2" ]; then
      "$H" core info "$(dirname "$f")" | sed -n 's/^length: //p'; return
    fi
  done
  echo "no-core-folder"
}

node -e 'process.stdout.write(require(process.argv[1]).fileBytes("big", 3 * 1048576 + 123))' "$JS_SHARED/drive-lib.js" >"$WORK/big.bin"
node -e 'process.stdout.write(require(process.argv[1]).fileBytes("jp", 4097))' "$JS_SHARED/drive-lib.js" >"$WORK/jp.bin"
node -e 'process.stdout.write(require(process.argv[1]).fileBytes("gone", 70000))' "$JS_SHARED/drive-lib.js" >"$WORK/gone.bin"
: >"$WORK/empty"

for LINE in v10.8 v10.21; do
  S=$WORK/ours-$LINE
  echo "# our drive ($LINE content line) written with our commands in $S"
  if [ "$LINE" = v10.8 ]; then KEY=$("$H" drive create --store "$S" --name rich --v10.8)
  else KEY=$("$H" drive create --store "$S"); fi
  printf 'hello drive\n' >"$WORK/readme.txt"
  run drive put "$KEY" /readme.txt "$WORK/readme.txt" --store "$S"
  run drive put "$KEY" /empty "$WORK/empty" --store "$S"
  run drive put "$KEY" /big.bin "$WORK/big.bin" --store "$S"
  printf 'deep down\n' | run drive put "$KEY" /dir/sub/deep/file.txt --store "$S"
  printf 'unicode name\n' | run drive put "$KEY" '/dir/ünïcödé 文件.txt' --store "$S"
  printf 'a name with a space\n' | run drive put "$KEY" '/dir/with space.txt' --store "$S"
  run drive put "$KEY" /日本語/ファイル.md "$WORK/jp.bin" --store "$S"
  run drive mkdir "$KEY" /emptydir --store "$S"
  run drive mkdir "$KEY" /dir/made --store "$S"
  run drive symlink "$KEY" /dir/sub/deep/file.txt /link --store "$S"
  run drive symlink "$KEY" sub/deep /dir/rel --store "$S"
  run drive symlink "$KEY" /nowhere /dangling --store "$S"
  run drive xattr "$KEY" /readme.txt user.comment 'hello xattr' --store "$S"
  run drive xattr "$KEY" /readme.txt user.other 'ünïcödé value' --store "$S"
  run drive xattr "$KEY" /emptydir user.dir 'on a directory' --store "$S"
  run drive xattr "$KEY" /link user.onlink 'on a symlink' --store "$S"
  printf 'first version\n' | run drive put "$KEY" /overwrite.txt --store "$S"
  printf 'short lived\n' | run drive put "$KEY" /todelete.txt --store "$S"
  run drive put "$KEY" /dir/sub/gone.bin "$WORK/gone.bin" --store "$S"
  run drive mkdir "$KEY" /tmpdir --store "$S"
  VB=$(metadata_length "$S" "$KEY")
  run drive rm "$KEY" /todelete.txt --store "$S"
  run drive rm "$KEY" /dir/sub/gone.bin --store "$S"
  run drive rm "$KEY" /tmpdir --store "$S"
  printf 'second, longer version\n' | run drive put "$KEY" /overwrite.txt --store "$S"
  # A second drive of the store mounted at /mnt, one file written through the mount.
  SUB=$("$H" drive create --store "$S" --name mounted $([ "$LINE" = v10.8 ] && echo --v10.8))
  printf 'inside the mounted drive\n' | run drive put "$SUB" /inside.txt --store "$S"
  run drive put "$SUB" /sub/deep.bin "$WORK/gone.bin" --store "$S"
  run drive mount "$KEY" /mnt "$SUB" --store "$S"
  printf 'written through the mount\n' | run drive put "$KEY" /mnt/through.txt --store "$S"
  VF=$(metadata_length "$S" "$KEY")
  check "$LINE: the file written through /mnt is in the mounted drive" \
    [ "$("$H" drive cat "$SUB" /through.txt --store "$S")" = "written through the mount" ]
  check "$LINE: metadata core found, versions $VB < $VF" [ "$VB" -lt "$VF" ] 2>/dev/null

  hm_manifest "$KEY" "$S" >"$WORK/hm-$LINE.lines"
  hm_manifest "hyper://$KEY+$VB" "$S" >"$WORK/hm-$LINE.before"
  # What we wrote must be what we read (the manifest is then compared with JS).
  for f in readme.txt big.bin empty; do
    check "$LINE: our manifest: /$f has the sha256 of the file put" \
      grep -q "^/$f	-	100644	$(stat -c %s "$WORK/$f")	.*	$(sha256sum <"$WORK/$f" | cut -d' ' -f1)	" "$WORK/hm-$LINE.lines"
  done
  check "$LINE: our manifest has 22 entries (5 in the mount), the checkout 20" [ "$(wc -l <"$WORK/hm-$LINE.lines") $(wc -l <"$WORK/hm-$LINE.before")" = "22 20" ]

  for V in 7 8; do
    JSD=$(jsdir $V)
    C=$WORK/copy-$LINE-p$V
    cp -a "$S" "$C"   # each stack gets its own untouched copy of our store
    echo "# p$V: JS opens our $LINE store by key and reads the drive"
    RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$C" "$KEY" >"$WORK/js.json" 2>"$WORK/js.err" || RC=$?
    if [ "$RC" -ne 0 ]; then fail "p$V $LINE: drive-read.js failed ($RC): $(head -c 500 "$WORK/js.err")"; continue; fi
    check "p$V $LINE: JS sees version $VF (got $(jget "$WORK/js.json" m.metadataLength))" [ "$(jget "$WORK/js.json" m.metadataLength)" = "$VF" ]
    check "p$V $LINE: JS opens our metadata core writable (name file re-derived)" [ "$(jget "$WORK/js.json" m.writable)" = true ]
    js_lines "$WORK/js.json" >"$WORK/js-$LINE-$V.lines"
    same_manifest "p$V $LINE: JS manifest of our drive equals ours" "$WORK/js-$LINE-$V.lines" "$WORK/hm-$LINE.lines"

    RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$C" "$KEY" --version "$VB" >"$WORK/jsb.json" 2>"$WORK/jsb.err" || RC=$?
    if [ "$RC" -ne 0 ]; then fail "p$V $LINE: drive-read.js --version $VB failed ($RC): $(head -c 500 "$WORK/jsb.err")"
    else
      js_lines "$WORK/jsb.json" >"$WORK/js-$LINE-$V.before"
      same_manifest "p$V $LINE: JS checkout($VB) of our drive equals our hyper://KEY+$VB" "$WORK/js-$LINE-$V.before" "$WORK/hm-$LINE.before"
    fi

    echo "# p$V: JS writes /from-js-p$V.txt into our $LINE drive; we read it"
    RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$C" "$KEY" --write "/from-js-p$V.txt" "written by JS p$V" >"$WORK/jsw.json" 2>"$WORK/jsw.err" || RC=$?
    if [ "$RC" -ne 0 ]; then fail "p$V $LINE: JS writeFile into our drive failed ($RC): $(head -c 500 "$WORK/jsw.err")"; continue; fi
    check "p$V $LINE: JS content core writable (got $(jget "$WORK/jsw.json" m.written.contentWritable))" [ "$(jget "$WORK/jsw.json" m.written.contentWritable)" = true ]
    hm drive cat "$KEY" "/from-js-p$V.txt" --store "$C"
    check "p$V $LINE: we read JS's file (got '$(head -c 80 "$WORK/out")' $(head -c 200 "$WORK/err"))" [ "$(cat "$WORK/out")" = "written by JS p$V" ]
    hm drive cat "$KEY" /big.bin --store "$C"
    check "p$V $LINE: our big.bin still reads back after JS appended" cmp -s "$WORK/out" "$WORK/big.bin"
    RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$C" "$KEY" --write "/mnt/js-p$V.txt" "JS p$V through our mount" >"$WORK/jsm.json" 2>"$WORK/jsm.err" || RC=$?
    check "p$V $LINE: JS writes through /mnt into our mounted drive (exit $RC: $(head -c 200 "$WORK/jsm.err"))" [ "$RC" -eq 0 ]
    hm drive cat "$SUB" "/js-p$V.txt" --store "$C"
    check "p$V $LINE: the mounted drive has JS's file (got '$(head -c 80 "$WORK/out")')" [ "$(cat "$WORK/out")" = "JS p$V through our mount" ]
    printf 'ours after JS\n' | run drive put "$KEY" /after-js.txt --store "$C"
    RC=0; timeout 120 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$C" "$KEY" >"$WORK/js2.json" 2>"$WORK/js2.err" || RC=$?
    check "p$V $LINE: JS reads our file written after its own ($(head -c 200 "$WORK/js2.err"))" \
      grep -q "^/after-js.txt	-	.*	$(printf 'ours after JS\n' | sha256sum | cut -d' ' -f1)	" <(js_lines "$WORK/js2.json" 2>/dev/null)
  done
done
finish
