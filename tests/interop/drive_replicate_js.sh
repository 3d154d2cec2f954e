#!/usr/bin/env bash
# Drives over the network (loopback TCP), with both JS stacks:
#  (a) our `drive serve` (--protocol 7 for hyperdrive 10.8.16, 8 for 10.21.0) -> a JS hyperdrive
#      replica (drive.replicate over a TCP socket, initiator) in an empty folder reads everything;
#  (b) JS serves a rich drive (drive-serve.js, responder) -> our read-only FUSE `mount` with
#      peer=127.0.0.1:PORT; the mounted tree must show the JS drive's listing, modes, sizes,
#      contents (sha256), link targets and xattrs. Skipped (noted) if FUSE is not usable here.
source "$(dirname "$0")/drive_lib.sh"
H=$HYPERMOUNT

run() { local rc=0; timeout 120 "$H" "$@" >"$WORK/run.out" 2>&1 || rc=$?; [ "$rc" -eq 0 ] || fail "hypermount $* exited $rc: $(head -c 300 "$WORK/run.out")"; }

# (a) our drive, written with our commands
S=$WORK/ours
KEY=$("$H" drive create --store "$S")
node -e 'process.stdout.write(require(process.argv[1]).fileBytes("big", 5 * 1048576 + 7))' "$JS_SHARED/drive-lib.js" >"$WORK/big.bin"
: >"$WORK/empty"
printf 'hello drive\n' | run drive put "$KEY" /readme.txt --store "$S"
run drive put "$KEY" /big.bin "$WORK/big.bin" --store "$S"
run drive put "$KEY" /empty "$WORK/empty" --store "$S"
printf 'unicode name\n' | run drive put "$KEY" '/dir/sub/ünïcödé 文件.txt' --store "$S"
printf 'doomed\n' | run drive put "$KEY" /dir/doomed.txt --store "$S"
printf 'v1\n' | run drive put "$KEY" /dir/over.txt --store "$S"
run drive mkdir "$KEY" /emptydir --store "$S"
run drive symlink "$KEY" /dir/sub /sublink --store "$S"
run drive xattr "$KEY" /readme.txt user.comment 'hello xattr' --store "$S"
run drive xattr "$KEY" /emptydir user.dir 'on a directory' --store "$S"
run drive rm "$KEY" /dir/doomed.txt --store "$S"
printf 'version two\n' | run drive put "$KEY" /dir/over.txt --store "$S"
hm_manifest "$KEY" "$S" >"$WORK/ours.lines"
check "our drive's manifest has 9 entries (got $(wc -l <"$WORK/ours.lines"))" [ "$(wc -l <"$WORK/ours.lines")" = 9 ]
VF=
for f in "$S"/*/*/*/key; do
  [ "$(od -An -v -tx1 "$f" | tr -d ' \n')" = "$KEY" ] && VF=$("$H" core info "$(dirname "$f")" | sed -n 's/^length: //p')
done
check "our drive's version is known ($VF)" [ -n "$VF" ]

for V in 7 8; do
  JSD=$(jsdir $V)
  echo "# p$V (a): our drive serve --protocol $V -> JS hyperdrive replica"
  timeout 180 "$H" drive serve "$KEY" --listen 127.0.0.1:0 --protocol $V --store "$S" >"$WORK/serve$V.out" 2>"$WORK/serve$V.err" &
  SPID=$!
  if ! wait_for "$WORK/serve$V.out" '^listening on' 30; then
    fail "p$V: our drive serve did not start: $(head -c 300 "$WORK/serve$V.err")"; continue
  fi
  PORT=$(port_of "$WORK/serve$V.out")
  RC=0; timeout $((45 * SCALE)) env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-read.js" "$WORK/jsrep$V" "$KEY" --peer "127.0.0.1:$PORT" --min-length "$VF" \
    >"$WORK/jsrep$V.json" 2>"$WORK/jsrep$V.err" || RC=$?
  if [ "$RC" -ne 0 ]; then
    fail "p$V: JS replica failed ($RC): $(head -c 400 "$WORK/jsrep$V.err") / serve: $(head -c 300 "$WORK/serve$V.err")"
  else
    check "p$V: JS replica at version $VF (got $(jget "$WORK/jsrep$V.json" m.metadataLength))" [ "$(jget "$WORK/jsrep$V.json" m.metadataLength)" = "$VF" ]
    check "p$V: JS replica is not writable" [ "$(jget "$WORK/jsrep$V.json" m.writable)" = false ]
    js_lines "$WORK/jsrep$V.json" >"$WORK/jsrep$V.lines"
    same_manifest "p$V: the JS replica reads our served drive exactly as we do" "$WORK/jsrep$V.lines" "$WORK/ours.lines"
  fi
  kill -TERM $SPID; RC=0; wait $SPID || RC=$?
  check "p$V: our drive serve exits 0 on SIGTERM (got $RC)" [ "$RC" -eq 0 ]
done

echo "# (b) JS serves a drive -> our read-only mount"
FUSE_OK=1
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then FUSE_OK=0; echo "SKIP (b): no /dev/fuse or fusermount3"; fi
for V in 7 8; do
  [ "$FUSE_OK" = 1 ] || break
  JSD=$(jsdir $V)
  timeout 180 env NODE_PATH="$JSD/node_modules" node "$JS_SHARED/drive-serve.js" "$WORK/jsserve$V" --create --listen 0 >"$WORK/jsserve$V.out" 2>&1 &
  JPID=$!
  if ! wait_for "$WORK/jsserve$V.out" '^listening on' 60; then fail "p$V: drive-serve.js did not start"; continue; fi
  head -n1 "$WORK/jsserve$V.out" >"$WORK/jsserve$V.json"
  JKEY=$(jget "$WORK/jsserve$V.json" m.key)
  PORT=$(port_of "$WORK/jsserve$V.out")
  # expected: path type mode size(files) sha256 link xattrs; implicit directories "path d mode *";
  # symlinks show mode 120777 (stored 0644), as Linux shows every symlink.
  # Symlink xattrs are not compared: Linux refuses user.* attributes on symlinks (EPERM) in the VFS.
  js_lines "$WORK/jsserve$V.json" | awk -F'\t' -v OFS='\t' '$4 == "*" { print; next }
    { print $1, $2, ($2 == "l" ? "120777" : $3), ($2 == "-" ? $4 : "-"), $12, $13, ($2 == "l" ? "-" : $14) }' | LC_ALL=C sort >"$WORK/jsserve$V.lines"
  MNT=$WORK/mnt$V; mkdir -p "$MNT"; MNT_CLEANUP+=" $MNT"
  echo "# p$V (b): JS drive-serve.js (hyperdrive $(node -p 'require(process.argv[1]).version' "$JSD/node_modules/hyperdrive/package.json")) -> hypermount mount $MNT"
  # Attributes cached for a minute: only the kernel notifications can show a remote change sooner.
  timeout 180 "$H" mount "$JKEY" "$MNT" -f -o "store=$WORK/mstore$V,peer=127.0.0.1:$PORT,attr_timeout=60,entry_timeout=60" >"$WORK/mount$V.out" 2>"$WORK/mount$V.err" &
  MPID=$!
  for ((i = 0; i < 300 * SCALE; i++)); do mountpoint -q "$MNT" && break; kill -0 $MPID 2>/dev/null || break; sleep 0.1; done
  if ! mountpoint -q "$MNT"; then
    if grep -qiE 'fuse|permission|not permitted' "$WORK/mount$V.err"; then
      echo "SKIP (b) p$V: FUSE mount not possible here: $(head -c 300 "$WORK/mount$V.err")"; kill $MPID 2>/dev/null || true; continue
    fi
    fail "p$V: mount did not come up: $(head -c 400 "$WORK/mount$V.err")"; kill $MPID 2>/dev/null || true; continue
  fi
  (
    cd "$MNT"
    find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
      path=${p#.}
      mode=$(printf '%o' "0x$(stat -c %f "$p")")
      size=- sha=- link=- type=-
      if [ -L "$p" ]; then type=l; link=$(readlink "$p")
      elif [ -d "$p" ]; then type=d
      else size=$(stat -c %s "$p"); sha=$(timeout 60 sha256sum <"$p" | cut -d' ' -f1); fi
      xattrs=$(getfattr -h -d -m - -e hex --absolute-names "$p" 2>/dev/null | sed -n 's/^\([^#][^=]*\)=0x/\1=/p' | sed '/^user\.hypermount\./d' | LC_ALL=C sort | paste -sd,)
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$type" "$mode" "$size" "$sha" "$link" "${xattrs:--}"
    done
  ) >"$WORK/mnt$V.lines" 2>"$WORK/mnt$V.walk-err"
  # A drive written elsewhere shows an absolute link from the drive's root, up from the link's
  # folder (/link -> /dir/f reads dir/f): no link leads outside the mount.
  awk -F'\t' 'BEGIN { OFS = "\t" } $2 == "l" && $6 ~ /^\// {
      up = ""; n = split($1, parts, "/"); for (i = 3; i <= n; i++) up = up "../"
      $6 = up substr($6, 2) } { print }' "$WORK/jsserve$V.lines" >"$WORK/jsserve$V.confined"
  same_manifest "p$V: our mount of the JS-served drive shows what JS wrote" "$WORK/jsserve$V.confined" "$WORK/mnt$V.lines"
  check "p$V: the mount is read-only (a write fails)" bash -c "! ( echo x > '$MNT/new-file' ) 2>/dev/null"
  # Shell tools on the remote drive (every byte fetched from JS on demand, verified).
  BIGSRC=$WORK/big-src.bin
  node -e 'process.stdout.write(require(process.argv[1]).fileBytes("big", require(process.argv[1]).BIG))' "$JS_SHARED/drive-lib.js" >"$BIGSRC"
  check "p$V: head -c 1000 of /big.bin" cmp -s <(head -c 1000 "$MNT/big.bin") <(head -c 1000 "$BIGSRC")
  check "p$V: tail -c 5000 of /big.bin" cmp -s <(tail -c 5000 "$MNT/big.bin") <(tail -c 5000 "$BIGSRC")
  check "p$V: dd skip=1000 bs=1000 count=700 of /big.bin" cmp -s \
    <(dd if="$MNT/big.bin" bs=1000 skip=1000 count=700 status=none) <(dd if="$BIGSRC" bs=1000 skip=1000 count=700 status=none)
  check "p$V: grep -r finds 'deep down' in /dir/sub/deep/file.txt only" \
    [ "$(grep -rl 'deep down' "$MNT" 2>/dev/null | sed "s|^$MNT||")" = "/dir/sub/deep/file.txt" ]
  ( sha256sum <"$MNT/stream.bin" >"$WORK/r1" & sha256sum <"$MNT/stream.bin" >"$WORK/r2" & wait )
  check "p$V: two concurrent readers of /stream.bin agree" [ -s "$WORK/r1" ] && cmp -s "$WORK/r1" "$WORK/r2"
  check "p$V: tar c of /dir lists its files" bash -c "tar -C '$MNT' -cf - dir | tar -tf - | grep -qx 'dir/sub/deep/file.txt'"
  rm -rf "$WORK/cpout$V"
  check "p$V: cp -a out of the mount, diff -r equal" bash -c "cp -a '$MNT/dir' '$WORK/cpout$V' && diff -r '$MNT/dir' '$WORK/cpout$V'"
  MOUNTED=$(jget "$WORK/jsserve$V.json" m.versions.mounted)
  check "p$V: /mnt (a JS drive mount) says what is mounted: user.hypermount.mount = hyper://${MOUNTED:0:8}..." \
    [ "$(getfattr --absolute-names --only-values -n user.hypermount.mount "$MNT/mnt" 2>&1)" = "hyper://$MOUNTED" ]
  check "p$V: the root says the drive key" [ "$(getfattr --absolute-names --only-values -n user.hypermount.key "$MNT" 2>&1)" = "$JKEY" ]
  echo "# p$V (b): the JS writer overwrites /overwrite.txt and adds /live.txt while we are mounted"
  before=$(stat -c %s "$MNT/overwrite.txt")
  kill -USR2 "$(jget "$WORK/jsserve$V.json" m.pid)"
  for ((i = 0; i < 150 * SCALE; i++)); do [ -e "$MNT/live.txt" ] && break; sleep 0.1; done
  check "p$V: /live.txt appears in the mount within $((15 * SCALE)) s and reads 'appeared live' (got '$(cat "$MNT/live.txt" 2>&1 | head -c 80)')" \
    [ "$(cat "$MNT/live.txt" 2>&1)" = "appeared live" ]
  for ((i = 0; i < 150 * SCALE; i++)); do [ -e "$MNT/mnt/live-in-mount.txt" ] && break; sleep 0.1; done
  check "p$V: a file the writer adds inside the mounted drive appears too (got '$(cat "$MNT/mnt/live-in-mount.txt" 2>&1 | head -c 80)')" \
    [ "$(cat "$MNT/mnt/live-in-mount.txt" 2>&1)" = "appeared in the mounted drive" ]
  check "p$V: /overwrite.txt shows the new version at once despite attr_timeout=60 (size $before -> $(stat -c %s "$MNT/overwrite.txt"))" \
    [ "$(cat "$MNT/overwrite.txt" 2>&1)" = "third version, written while mounted" ]
  check "p$V: the version xattr follows the writer ($(getfattr --absolute-names --only-values -n user.hypermount.version "$MNT" 2>&1) > $(jget "$WORK/jsserve$V.json" m.version))" \
    [ "$(getfattr --absolute-names --only-values -n user.hypermount.version "$MNT" 2>&1)" -gt "$(jget "$WORK/jsserve$V.json" m.version)" ]
  kill -TERM $MPID; RC=0; wait $MPID || RC=$?
  check "p$V: mount exits 0 on SIGTERM (got $RC: $(head -c 200 "$WORK/mount$V.err"))" [ "$RC" -eq 0 ]
  check "p$V: unmounted after SIGTERM" bash -c "! mountpoint -q '$MNT'"
  kill -TERM $JPID 2>/dev/null || true; wait $JPID 2>/dev/null || true
done
finish
