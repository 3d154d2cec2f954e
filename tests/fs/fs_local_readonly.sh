#!/usr/bin/env bash
# A rich drive built with the `drive` commands, mounted read-only from its own store, checked with
# ordinary shell tools against the source files it was built from; refused writes give EROFS;
# mount exit statuses; df and /proc/mounts.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
SRC=$WORK/src     # the files as they should appear in the mount
MNT=$WORK/mnt
OUT=$WORK/out.d   # copies made from the mount
mkdir -p "$SRC" "$OUT"

new_drive "$S1"
d() { hm_ok drive "$1" "$K" "${@:2}" --store "$S1"; }

# put REL : writes $SRC/REL to /REL of the drive
put() { d put "/$1" "$SRC/$1"; }
mkdir -p "$SRC/docs/sub/deep" "$SRC/data" "$SRC/with space" "$SRC/emptydir"
printf 'hello world\nthe needle is here\n' >"$SRC/hello.txt"
: >"$SRC/empty.txt"
printf '# Readme\n\nline two\nanother needle\n' >"$SRC/docs/readme.md"
printf 'deep needle\n' >"$SRC/docs/sub/deep/nested.txt"
head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom >"$SRC/data/random.bin"
head -c 65536 /dev/urandom >"$SRC/data/exact64k.bin"
printf 'unicode name\n' >"$SRC/ünïcødé 文件.txt"
printf 'spaces everywhere\n' >"$SRC/with space/file name.txt"
ln -s hello.txt "$SRC/link-to-hello"
ln -s ../hello.txt "$SRC/docs/up"
ln -s does/not/exist "$SRC/dangling"
ln -s docs "$SRC/dirlink"

d mkdir /docs
d mkdir /emptydir
for f in hello.txt empty.txt docs/readme.md docs/sub/deep/nested.txt data/random.bin \
  data/exact64k.bin "ünïcødé 文件.txt" "with space/file name.txt"; do
  put "$f"
done
d symlink hello.txt /link-to-hello
d symlink ../hello.txt /docs/up
d symlink does/not/exist /dangling
d symlink docs /dirlink
d xattr /hello.txt user.color blue
d xattr /hello.txt user.note "two words"
d xattr /docs user.kind folder
# a deleted file, one in a subfolder, and an overwritten (shrunk) file
echo "soon gone" | timeout 60 "$HYPERMOUNT" drive put "$K" /gone.txt --store "$S1" || fail "put /gone.txt"
echo "also gone" | timeout 60 "$HYPERMOUNT" drive put "$K" /docs/old.txt --store "$S1" || fail "put /docs/old.txt"
d rm /gone.txt
d rm /docs/old.txt
printf 'version one, the longer text\n' >"$WORK/over1"
timeout 60 "$HYPERMOUNT" drive put "$K" /over.txt "$WORK/over1" --store "$S1" || fail "put /over.txt v1"
printf 'v2\n' >"$SRC/over.txt"
put over.txt
# a folder of many entries: more than one readdir reply, so plain (not plus) readdir is used too
mkdir -p "$SRC/many"
for i in $(seq 1 150); do printf '%s\n' "$i" >"$SRC/many/entry-with-a-rather-long-name-number-$i.txt"; done
for i in $(seq 1 150); do put "many/entry-with-a-rather-long-name-number-$i.txt"; done
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

# what `drive stat` says (read now: the mount locks the store): mode in octal, mtime in seconds
STAT_PATHS=(hello.txt empty.txt docs docs/readme.md docs/sub docs/sub/deep/nested.txt data/random.bin
  data/exact64k.bin "ünïcødé 文件.txt" "with space" "with space/file name.txt" emptydir over.txt
  link-to-hello docs/up dangling dirlink many/entry-with-a-rather-long-name-number-150.txt)
declare -A DRIVE_STAT
for p in "${STAT_PATHS[@]}"; do
  hm_ok drive stat "$K" "/$p" --store "$S1"
  mtime_ms=$(sed -n 's/^mtime-ms: *//p' "$WORK/out")
  mode=$(sed -n 's/^mode: *//p' "$WORK/out")
  # A symlink is stored 0644 (as hyperdrive writes it) and shown 0777, as Linux shows symlinks.
  case $mode in 120*) mode=120777 ;; esac
  DRIVE_STAT[$p]="$mode|$(( ${mtime_ms:-0} / 1000 ))"
done

# --- exit statuses of `hypermount mount` (before the real mount)
mkdir -p "$WORK/m2"
hm mount 0123abc "$WORK/m2" -o "store=$S1"
check_eq "mount with a bad key exits 2 ($(msg))" 2 "$RC"
hm mount "hyper://zz$K" "$WORK/m2" -o "store=$S1"
check_eq "mount with a bad hyper:// key exits 2" 2 "$RC"
hm mount "$K" "$WORK/no/such/dir" -o "store=$S1"
check_eq "mount on a missing mount point exits 3 ($(msg))" 3 "$RC"
hm mount "$K" "$WORK/m2" -o "store=$WORK/empty-store,mdns=off,bootstrap=none"
check_eq "mount from a store without the drive and no peer exits 3 ($(msg))" 3 "$RC"
hm mount "$K" "$WORK/m2" -o "store=$S1,bogus_option=1"
check_eq "mount with an unknown option exits 2 ($(msg))" 2 "$RC"
check "no mount left behind by the failed mounts" bash -c "! grep -q ' $WORK/m2 ' /proc/mounts"

# --- the mount
mount_drive "$K" "$MNT" "store=$S1,ro"  # a writable drive: ro asked for explicitly
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
T="timeout 60"   # every tool run on the mount is bounded

# df and /proc/mounts
line=$(grep " $MNT " /proc/mounts)
read -r fsname mdir mtype mopts _ <<<"$line"
check_eq "/proc/mounts fsname" "hyper://${K:0:16}" "$fsname"
check_eq "/proc/mounts type" "fuse.hypermount" "$mtype"
check_eq "/proc/mounts first option is ro" "ro" "${mopts%%,*}"
check_eq "df shows the fsname" "hyper://${K:0:16}" "$($T df -P "$MNT" | awk 'NR == 2 { print $1 }')"
check_eq "df -T shows the type" "fuse.hypermount" "$($T df -PT "$MNT" | awk 'NR == 2 { print $2 }')"

# find: the exact tree (deleted files absent)
$T find "$MNT" >/dev/null
check_files "find lists exactly the tree" <(tree_list "$SRC") <($T bash -c "$(declare -f tree_list); tree_list '$MNT'")

# ls -la: type letter, size of regular files, name (symlinks with their target), "." and ".."
lsla() { # type, size for files, name: from `ls -la` with an epoch time so fields are fixed
  $T ls -la --time-style=+%s --quoting-style=literal "$1" |
    awk 'NR > 1 { t = substr($1, 1, 1); name = $7; for (i = 8; i <= NF; i++) name = name " " $i;
      print t, (t == "-" ? $5 : "."), name }' | LC_ALL=C sort
}
for dir in "" docs data "with space" emptydir docs/sub/deep many; do
  check_files "ls -la /$dir" <(lsla "$SRC/$dir") <(lsla "$MNT/$dir")
done

# stat: type and size as in the source; raw mode and mtime (to the second) as `drive stat` said
for p in "${STAT_PATHS[@]}"; do
  want_type=$(stat -c %F "$SRC/$p")
  want_size=$(stat -c %s "$SRC/$p")
  [ -d "$SRC/$p" ] && [ ! -L "$SRC/$p" ] && want_size=0
  got=$($T stat -c '%F|%s|%f|%Y' "$MNT/$p")
  IFS='|' read -r got_type got_size got_hex got_mtime <<<"$got"
  check_eq "stat /$p: type, size, mode, mtime" \
    "$want_type|$want_size|${DRIVE_STAT[$p]}" "$got_type|$got_size|$(printf '%o' "0x${got_hex:-0}")|$got_mtime"
done
check_eq "root is a directory, mode 755" "directory 755" "$($T stat -c '%F %a' "$MNT")"

# cat, head -c, tail -c, dd
for p in hello.txt empty.txt docs/readme.md "ünïcødé 文件.txt" "with space/file name.txt" over.txt \
  docs/up link-to-hello data/exact64k.bin; do
  check "cat /$p matches" cmp -s "$SRC/$p" <($T cat "$MNT/$p")
done
check_eq "the overwritten file has its last content" "v2" "$($T cat "$MNT/over.txt")"
BIG=data/random.bin
check "head -c 1000 of the big file" cmp -s <(head -c 1000 "$SRC/$BIG") <($T head -c 1000 "$MNT/$BIG")
check "head -c 3000001 of the big file" cmp -s <(head -c 3000001 "$SRC/$BIG") <($T head -c 3000001 "$MNT/$BIG")
check "tail -c 4321 of the big file" cmp -s <(tail -c 4321 "$SRC/$BIG") <($T tail -c 4321 "$MNT/$BIG")
check "tail -c 100000 of the big file" cmp -s <(tail -c 100000 "$SRC/$BIG") <($T tail -c 100000 "$MNT/$BIG")
check "dd bs=4096 skip=300 count=10" cmp -s <(dd if="$SRC/$BIG" bs=4096 skip=300 count=10 status=none) \
  <($T dd if="$MNT/$BIG" bs=4096 skip=300 count=10 status=none)
check "dd bs=1000 skip=1234 count=77 (unaligned)" cmp -s <(dd if="$SRC/$BIG" bs=1000 skip=1234 count=77 status=none) \
  <($T dd if="$MNT/$BIG" bs=1000 skip=1234 count=77 status=none)
check "dd bs=1M skip=5 (the tail)" cmp -s <(dd if="$SRC/$BIG" bs=1M skip=5 status=none) \
  <($T dd if="$MNT/$BIG" bs=1M skip=5 status=none)
check_eq "dd beyond the end reads nothing" 0 "$($T dd if="$MNT/$BIG" bs=1M skip=50 status=none | wc -c)"
check "dd of a 64 KiB file across its end" cmp -s <(dd if="$SRC/data/exact64k.bin" bs=10000 skip=6 status=none) \
  <($T dd if="$MNT/data/exact64k.bin" bs=10000 skip=6 status=none)

check_eq "ls of a folder of 150 entries" 150 "$($T ls "$MNT/many" | wc -l)"
check_eq "python os.listdir of a folder of 150 entries" 150 \
  "$($T python3 -c 'import os, sys; print(len(os.listdir(sys.argv[1])))' "$MNT/many")"
check_eq "ls -f shows . and .. too" 152 "$($T ls -f "$MNT/many" | wc -l)"

# sha256sum of every file
check_files "sha256sum of every file" <(snapshot "$SRC") <($T bash -c "$(declare -f snapshot); snapshot '$MNT'")

# grep -r
check_files "grep -rl needle" <(cd "$SRC" && grep -rl needle . | LC_ALL=C sort) <(cd "$MNT" && $T grep -rl needle . | LC_ALL=C sort)
check_files "grep -rn needle (lines)" <(cd "$SRC" && grep -rn needle . | LC_ALL=C sort) <(cd "$MNT" && $T grep -rn needle . | LC_ALL=C sort)

# readlink
for p in link-to-hello docs/up dangling dirlink; do
  check_eq "readlink /$p" "$(readlink "$SRC/$p")" "$($T readlink "$MNT/$p")"
done
check_eq "readlink -f through the mount" "$MNT/hello.txt" "$($T readlink -f "$MNT/docs/up")"
check_eq "readlink of a regular file is EINVAL" "EINVAL" "$(errno_of readlink "$MNT/hello.txt")"

# extended attributes
check_eq "getfattr user.color" "blue" "$($T getfattr --absolute-names --only-values -n user.color "$MNT/hello.txt" 2>&1)"
check_eq "getfattr user.note" "two words" "$($T getfattr --absolute-names --only-values -n user.note "$MNT/hello.txt" 2>&1)"
check_eq "getfattr on a folder" "folder" "$($T getfattr --absolute-names --only-values -n user.kind "$MNT/docs" 2>&1)"
check_eq "getfattr -d lists both attributes" $'user.color="blue"\nuser.note="two words"' \
  "$($T getfattr -d --absolute-names "$MNT/hello.txt" 2>&1 | grep '^user\.' | LC_ALL=C sort)"
check_eq "listxattr (python)" "['user.color', 'user.note']" \
  "$($T python3 -c 'import os, sys; print(sorted(os.listxattr(sys.argv[1])))' "$MNT/hello.txt")"
check_eq "listxattr of a file without attributes is empty" "[]" \
  "$($T python3 -c 'import os, sys; print(os.listxattr(sys.argv[1]))' "$MNT/empty.txt")"
check_eq "a missing attribute is ENODATA" "ENODATA" "$(errno_of getxattr "$MNT/hello.txt" user.nope)"

# cp -a, tar, rsync -a out of the mount: same tree, same bytes, same times
check "cp -a out of the mount" $T cp -a "$MNT" "$OUT/cp"
check "cp -a copy: diff -r against the source" diff -r --no-dereference "$SRC" "$OUT/cp"
check_files "cp -a copy: tree" <(tree_list "$SRC") <(tree_list "$OUT/cp")
check_files "cp -a copy: mtimes as in the mount" <(times_of "$MNT") <(times_of "$OUT/cp")
check_files "cp -a copy: modes as in the mount" <(modes_of "$MNT") <(modes_of "$OUT/cp")
check "tar c of the mount" $T tar -C "$MNT" -cf "$OUT/m.tar" .
mkdir -p "$OUT/tar"
check "tar x elsewhere" tar -C "$OUT/tar" -xf "$OUT/m.tar"
check "tar copy: diff -r against the source" diff -r --no-dereference "$SRC" "$OUT/tar"
check_files "tar copy: tree" <(tree_list "$SRC") <(tree_list "$OUT/tar")
check_files "tar copy: mtimes as in the mount" <(times_of "$MNT") <(times_of "$OUT/tar")
if command -v rsync >/dev/null; then
  check "rsync -a out of the mount" $T rsync -a "$MNT/" "$OUT/rsync/"
  check "rsync copy: diff -r against the source" diff -r --no-dereference "$SRC" "$OUT/rsync"
  check_files "rsync copy: tree" <(tree_list "$SRC") <(tree_list "$OUT/rsync")
  check_files "rsync copy: mtimes as in the mount" <(times_of "$MNT") <(times_of "$OUT/rsync")
  check_eq "rsync -a again finds nothing to transfer" "" \
    "$($T rsync -a --itemize-changes "$MNT/" "$OUT/rsync/" | grep -v '^\.d' | grep -v '^\.L\.\.\.p\.\.\.\.\. ')"
else
  echo "skip - rsync is not installed"
fi

# two (three) concurrent readers of the big file
concurrent_readers "$SRC/$BIG" "$MNT/$BIG"

# errors: missing paths, deleted files, a folder read as a file
for p in missing.txt gone.txt docs/old.txt nodir/file; do
  check_eq "stat /$p is ENOENT" "ENOENT" "$(errno_of stat "$MNT/$p")"
done
check_eq "open of a deleted file is ENOENT" "ENOENT" "$(errno_of open_r "$MNT/gone.txt")"
check "cat of a missing file says No such file or directory" \
  bash -c "$T cat '$MNT/missing.txt' 2>&1 | grep -q 'No such file or directory'"
check_eq "stat through a file is ENOTDIR" "ENOTDIR" "$(errno_of stat "$MNT/hello.txt/x")"
check_eq "stat through the dangling link is ENOENT" "ENOENT" "$(errno_of stat "$MNT/dangling")"
check_eq "reading a folder is EISDIR" "EISDIR" "$(errno_of read "$MNT/docs")"

# refused writes: the shell tools' messages ...
refused() { # refused DESCRIPTION COMMAND... : fails, saying "Read-only file system"
  local what=$1 out rc=0; shift
  out=$($T "$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && [[ $out == *"Read-only file system"* ]]; then pass "$what refused: EROFS"
  else fail "$what: expected a Read-only file system error, got exit $rc: $out"; fi
}
refused "touch a new file" touch "$MNT/new.txt"
refused "touch an existing file" touch "$MNT/hello.txt"
refused "mkdir" mkdir "$MNT/newdir"
refused "rm a file" rm -f "$MNT/hello.txt"
refused "rmdir an empty folder" rmdir "$MNT/emptydir"
refused "rm -r a folder" rm -rf "$MNT/docs"
refused "mv" mv "$MNT/hello.txt" "$MNT/moved.txt"
refused "echo > a new file" bash -c "echo x > '$MNT/new2.txt'"
refused "echo > an existing file" bash -c "echo x > '$MNT/hello.txt'"
refused "echo >> an existing file" bash -c "echo x >> '$MNT/hello.txt'"
refused "ln -s" ln -s hello.txt "$MNT/newlink"
refused "chmod" chmod 600 "$MNT/hello.txt"
refused "truncate" truncate -s 0 "$MNT/hello.txt"
refused "setfattr" setfattr -n user.color -v red "$MNT/hello.txt"
refused "cp into the mount" cp "$SRC/hello.txt" "$MNT/copy.txt"
# ... and the errno of each system call
for op in "open_w hello.txt" "open_creat new.txt" "mkdir newdir" "rmdir emptydir" "unlink hello.txt" \
  "rename hello.txt" "chmod hello.txt" "truncate hello.txt" "symlink newlink" \
  "setxattr hello.txt user.x" "removexattr hello.txt user.color"; do
  read -r o p _ <<<"$op"
  arg=""
  case $o in rename) arg=$MNT/renamed.txt ;; setxattr | removexattr) arg=${op##* } ;; esac
  check_eq "$o on /$p is EROFS" "EROFS" "$(errno_of "$o" "$MNT/$p" ${arg:+"$arg"})"
done
check_files "after the refused writes, the files are unchanged" <(snapshot "$SRC") \
  <($T bash -c "$(declare -f snapshot); snapshot '$MNT'")
check_files "after the refused writes, the tree is unchanged" <(tree_list "$SRC") \
  <($T bash -c "$(declare -f tree_list); tree_list '$MNT'")
check_eq "after the refused writes, the attribute is unchanged" "blue" \
  "$($T getfattr --absolute-names --only-values -n user.color "$MNT/hello.txt" 2>&1)"

check "the mount is still up at the end" is_mounted "$MNT"
check "fusermount3 -u" timeout 20 fusermount3 -u "$MNT"
check "no mount left in /proc/mounts" bash -c "! grep -q ' $MNT ' /proc/mounts"
finish
