#!/usr/bin/env bash
# Living with drives: info (text, JSON, a mount's xattrs and peers), versions and diff after a
# scripted sequence of writes, list, purge (refused while mounted; an own drive only with
# --force), keys export/import moving a writable drive to a new store and writing there, the
# warning when a peer has more of a drive we write, and clear errors for bad inputs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1 S2=$WORK/S2 S3=$WORK/S3
MNT=$WORK/mnt MNT1=$WORK/mnt1
json_get() { # json_get EXPRESSION : evaluates EXPRESSION on the JSON in $WORK/out as `j`
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$WORK/out" 2>&1
}
xattr_of() { timeout 60 python3 -c 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$@"; }

# --- a drive with a scripted history: 2 put /a.txt, 3 put /dir/b.txt, 4 put /a.txt, 5 del /dir/b.txt
new_drive "$S1"
printf 'hello\n' >"$WORK/a1"
printf 'hello again\n' >"$WORK/a2"
hm_ok drive put "$K" /a.txt "$WORK/a1" --store "$S1"
printf 'bb\n' >"$WORK/b"
hm_ok drive put "$K" /dir/b.txt "$WORK/b" --store "$S1"
hm_ok drive put "$K" /a.txt "$WORK/a2" --store "$S1"
hm_ok drive rm "$K" /dir/b.txt --store "$S1"
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

# --- info of a local drive
hm_ok info "$K" --store "$S1"
check_files "info text of a local own drive" <(cat <<X
key: $K
writable: yes
version: 5
files: 1
bytes: 12
metadata: 5/5 blocks
content: 3/3 blocks, 21/21 bytes here
X
) <(sed -e '/^discovery-key/d' -e 's/^\(metadata: [0-9]*\/[0-9]* blocks\).*/\1/' "$WORK/out")
check "info names the discovery key (64 hex digits)" grep -Eq '^discovery-key: [0-9a-f]{64}$' "$WORK/out"
hm_ok info "$K" --store "$S1" --json
check_eq "info --json: keys, version, files, bytes" "$K True 5 1 12" \
  "$(json_get 'j["key"], j["writable"], j["version"], j["files"], j["bytes"]')"
check_eq "info --json: content present vs total" "3 3 21 21" \
  "$(json_get 'j["content"]["blocks_present"], j["content"]["length"], j["content"]["bytes_present"], j["content"]["byte_length"]')"
check_eq "info --json of a drive read from the store has no peers" "False" "$(json_get '"peers" in j')"
hm_ok info "hyper://$K+3" --store "$S1"
check "info of KEY+3 says version 3 with 2 files" bash -c "grep -qx 'version: 3' '$WORK/out' && grep -qx 'files: 2' '$WORK/out'"

# --- versions and diff
hm_ok versions "$K" --store "$S1"
check_eq "versions: one line per change" "2 put /a.txt|3 put /dir/b.txt|4 put /a.txt|5 del /dir/b.txt" \
  "$(awk '{print $1, $3, $4}' "$WORK/out" | paste -sd '|')"
check "versions: a put has its time" grep -Eq '^2 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z put /a.txt$' "$WORK/out"
hm_ok versions "$K" /dir --store "$S1"
check_eq "versions KEY /dir: only what is below /dir" "3 put /dir/b.txt|5 del /dir/b.txt" \
  "$(awk '{print $1, $3, $4}' "$WORK/out" | paste -sd '|')"
hm_ok versions "$K" --store "$S1" --json
check_eq "versions --json" "4 del" "$(json_get 'len(j), j[3]["op"]')"
hm_ok diff "$K" 3 5 --store "$S1"
check_eq "diff 3 5: b removed, a modified" "D /dir/b.txt|M /a.txt" "$(paste -sd '|' "$WORK/out")"
hm_ok diff "$K" 1 3 --store "$S1"
check_eq "diff 1 3: both added" "A /a.txt|A /dir/b.txt" "$(paste -sd '|' "$WORK/out")"
hm_ok diff "$K" 5 3 --store "$S1" --json
check_eq "diff 5 3 --json" "['/dir/b.txt'] [] ['/a.txt']" "$(json_get 'j["added"], j["removed"], j["modified"]')"
hm diff "$K" 2 9 --store "$S1"
check "diff to a version the drive does not have fails" bash -c "[ $RC -ne 0 ] && grep -q 'not one of the drive' '$WORK/err'"

# --- list
hm_ok list --store "$S1"
check_eq "list: the own drive with its version and sizes" "$K own drive version 5" "$(awk '{print $1, $2, $3, $4, $5}' "$WORK/out")"
check_eq "list: one line (the content core is listed with its drive)" 1 "$(wc -l <"$WORK/out")"

# --- a replica in S2 and a mount with a peer
serve_drive "$K" "$S1" || finish
hm_ok drive cat "$K" /a.txt --peer "127.0.0.1:$PORT" --store "$S2"
hm_ok info "$K" --store "$S2"
check "info of a sparse replica: not writable, version 5" bash -c "grep -qx 'writable: no' '$WORK/out' && grep -qx 'version: 5' '$WORK/out'"
check "info of a sparse replica: part of the content is here" grep -qx 'content: 1/3 blocks, 12/21 bytes here' "$WORK/out"
hm_ok list --store "$S2"
check_eq "list of S2: the remote drive" "$K remote drive" "$(awk '{print $1, $2, $3}' "$WORK/out")"

mount_drive "hyper://$K" "$MNT" "store=$S2,peer=127.0.0.1:$PORT"
check_eq "mount with a peer ($(msg))" 0 "$RC"
check_eq "a file reads through the mount" "hello again" "$(timeout 60 cat "$MNT/a.txt")"
hm_ok info "$MNT"
check "info MOUNTPOINT: one peer" grep -qx 'peers: 1' "$WORK/out"
check "info MOUNTPOINT: the peer's address, transport and protocol" \
  grep -Eq "^peer: 127\.0\.0\.1:$PORT tcp protocol [78] up [0-9]+ down [1-9][0-9]*$" "$WORK/out"
check_files "user.hypermount.info is what info MOUNTPOINT prints" <(xattr_of "$MNT" user.hypermount.info) "$WORK/out"
hm_ok info "$MNT" --json
check_eq "info MOUNTPOINT --json: the peer" "1 tcp True" \
  "$(json_get 'len(j["peers"]), j["peers"][0]["transport"], j["peers"][0]["bytes_down"] > 0')"
check "user.hypermount.info.json parses" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$(xattr_of "$MNT" user.hypermount.info.json)"
check "the info attributes are not listed (cp -a must not copy them)" \
  bash -c "! timeout 60 python3 -c 'import os,sys; print(os.listxattr(sys.argv[1]))' '$MNT' | grep -q 'hypermount.info'"
hm info "$K" --store "$S2"
check "info KEY of a mounted drive names the holder and the mount point" \
  bash -c "[ $RC -ne 0 ] && grep -q 'in use by process [0-9]*' '$WORK/err' && grep -q 'mounted at $MNT' '$WORK/err'"
hm purge "$K" --store "$S2"
check "purge refuses a mounted drive, naming the mount" \
  bash -c "[ $RC -ne 0 ] && grep -q 'cannot purge' '$WORK/err' && grep -q 'mounted at $MNT' '$WORK/err'"
unmount_checked "$MNT"
stop_pid "$SERVER_PID"  # the server holds S1's drive

# --- purge
hm_ok purge "$K" --store "$S2"
check "purge of a replica says what it freed" grep -Eq '^purged drive [0-9a-f]{8}: [1-9][0-9]* bytes freed$' "$WORK/out"
hm_ok list --store "$S2"
check_eq "the purged drive is no longer listed" "" "$(cat "$WORK/out")"
hm info "$K" --store "$S2"
check "info of the purged drive: not found" bash -c "[ $RC -eq 3 ] && grep -q 'has no drive' '$WORK/err'"
hm purge "$K" --store "$S1"
check "purge of an own drive without --force is refused and says how to keep its keys" \
  bash -c "[ $RC -ne 0 ] && grep -q 'keys export' '$WORK/err'"
hm_ok info "$K" --store "$S1"

# --- keys export / import: moving the writable drive to S3
"$HYPERMOUNT" keys export "$K" --store "$S1" >"$WORK/keys.txt" 2>"$WORK/export.err"
check "keys export writes a key file" grep -qx 'hypermount-keys 1' "$WORK/keys.txt"
check "keys export warns about writing from two stores" grep -q 'two stores' "$WORK/export.err"
check "the key file holds the drive key" grep -qx "drive $K" "$WORK/keys.txt"
hm keys import "$WORK/keys.txt" --store "$S3"
check "import into a store without the drive's data is refused" bash -c "[ $RC -ne 0 ] && grep -q 'fetch the drive' '$WORK/err'"
serve_drive "$K" "$S1" || finish
for f in /a.txt; do hm_ok drive cat "$K" "$f" --peer "127.0.0.1:$PORT" --store "$S3"; done
hm_ok drive ls "$K" / --peer "127.0.0.1:$PORT" --store "$S3"
hm_ok info "$K" --store "$S3" --json
check_eq "S3 has the drive's latest version before the import" "5 False" "$(json_get 'j["version"], j["writable"]')"
stop_pid "$SERVER_PID"
hm_ok keys import "$WORK/keys.txt" --store "$S3"
check_eq "keys import prints the drive key" "$K" "$(cat "$WORK/out")"
check "keys import says the drive must be written from one store" grep -q 'two stores' "$WORK/err"
hm_ok info "$K" --store "$S3"
check "the moved drive is writable in S3" grep -qx 'writable: yes' "$WORK/out"
printf 'written in S3\n' >"$WORK/c"
hm_ok drive put "$K" /c.txt "$WORK/c" --store "$S3"
hm_ok drive cat "$K" /c.txt --store "$S3"
check_eq "what S3 wrote reads back" "written in S3" "$(cat "$WORK/out")"
hm_ok drive cat "$K" /a.txt --store "$S3"
check_eq "the old file reads in S3" "hello again" "$(cat "$WORK/out")"
hm_ok info "$K" --store "$S3"
check "S3's drive goes on at version 6" grep -qx 'version: 6' "$WORK/out"

# --- S1 still has the keys: a mount of it connected to S3 hears that S3 is ahead
serve_drive "$K" "$S3" || finish
mount_drive "$K" "$MNT1" "store=$S1,peer=127.0.0.1:$PORT"
check_eq "the own drive mounts in S1 with S3 as a peer ($(msg))" 0 "$RC"
check "info of the mount warns that a peer has more of the drive we write" \
  wait_until 20 bash -c "'$HYPERMOUNT' info '$MNT1' | grep -q '^warning: a peer has more of this drive'"
check_eq "info --json of the mount flags the conflict" "True" \
  "$(xattr_of "$MNT1" user.hypermount.info.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["conflict_warning"])')"
unmount_checked "$MNT1"

# --- bad inputs
hm info nothex --store "$S1"
check "an unknown key format is refused clearly" bash -c "[ $RC -ne 0 ] && grep -q \"'nothex' is not a drive key\" '$WORK/err'"
hm info "$WORK/keys.txt" --store "$S1"
check "a file path given as KEY is named as one" bash -c "[ $RC -ne 0 ] && grep -q 'is a file path, not a drive key' '$WORK/err'"
hm info "$WORK" --store "$S1"
check "a folder that is not a mount is named as such" bash -c "[ $RC -ne 0 ] && grep -q 'not the root of a hypermount mount' '$WORK/err'"
hm versions "$K" --store "$WORK/nostore"
check "a store that does not exist" bash -c "[ $RC -eq 3 ] && grep -q 'there is no store' '$WORK/err' && [ ! -e '$WORK/nostore' ]"
hm diff "$K" one 2 --store "$S1"
check "diff with a version that is not a number" grep -q "'one' is not a version number" "$WORK/err"
printf 'hello\n' >"$WORK/not-keys"
hm keys import "$WORK/not-keys" --store "$S3"
check "keys import of a file that is not a key file" bash -c "[ $RC -ne 0 ] && grep -q 'not a hypermount key file' '$WORK/err'"
hm keys export "$(cut -c1-64 <<<"$(sed -n 's/^drive //p' "$WORK/keys.txt")")" --store "$S2"
check "keys export of a drive the store does not have" bash -c "[ $RC -ne 0 ]"
hm_ok purge "$K" --store "$S1" --force
check "purge --force of an own drive says its keys went too" grep -q 'and its keys' "$WORK/out"
hm_ok list --store "$S1"
check_eq "S1 is empty after purge --force" "" "$(cat "$WORK/out")"

finish
