#!/usr/bin/env bash
# Everyday shell tools on a read-write mount of an own drive: cp -a, tar, rsync -a in and out, mv, rm -r,
# ln -s, touch, chmod, xattrs, dd, head, tail, grep, find, sed -i and vim saves, git, concurrent readers.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
for tool in rsync git setfattr getfattr; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done

S1=$WORK/S1
SRC=$WORK/src   # a local tree with varied modes, times, owners, links and attributes
OUT=$WORK/outd  # copies made out of the mount
MNT=$WORK/mnt
T="timeout 120"
mkdir -p "$OUT"

mkdir -p "$SRC/docs/sub/deep" "$SRC/bin" "$SRC/private" "$SRC/empty dir" "$SRC/data"
printf 'hello world\nthe needle is here\n' >"$SRC/hello.txt"
printf '# Readme\n\nanother needle\n' >"$SRC/docs/readme.md"
printf 'deep needle\nand more\n' >"$SRC/docs/sub/deep/nested.txt"
printf '#!/bin/sh\necho run\n' >"$SRC/bin/run.sh"
printf 'secret\n' >"$SRC/private/key.txt"
printf 'read only\n' >"$SRC/docs/ro.txt"
printf 'unicode\n' >"$SRC/ünï cødé.txt"
: >"$SRC/empty.txt"
head -c $((3 * 1024 * 1024 + 517)) /dev/urandom >"$SRC/data/random.bin"
head -c 65536 /dev/urandom >"$SRC/data/exact64k.bin"
ln -s hello.txt "$SRC/link"
ln -s ../../hello.txt "$SRC/docs/sub/up"
ln -s no/such/target "$SRC/dangling"
chmod 755 "$SRC/bin/run.sh"; chmod 600 "$SRC/private/key.txt"; chmod 444 "$SRC/docs/ro.txt"
chmod 700 "$SRC/private"; chmod 750 "$SRC/bin"
chown 1234:5678 "$SRC/docs/readme.md"; chown 4321:8765 "$SRC/bin"
setfattr -n user.color -v blue "$SRC/hello.txt"
setfattr -n user.kind -v folder "$SRC/docs"
i=0
while IFS= read -r -d '' p; do  # distinct whole-second mtimes, folders last so files do not move them
  i=$((i + 1)); touch -h -d "@$((1000000000 + i * 86400))" "$p"
done < <(cd "$SRC" && find . -mindepth 1 -depth -print0 | sed -z "s|^\.|$SRC|")
touch -d "@1000000000" "$SRC"

new_drive "$S1"
mount_drive "$K" "$MNT" "store=$S1"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }

# same_tree DESCRIPTION REF DIR : DIR holds what REF holds: diff -r, types, bytes, modes, mtimes,
# owners, symlink targets
same_tree() {
  check "$1: diff -r" $T diff -r --no-dereference "$2" "$3"
  check_files "$1: tree" <(tree_list "$2") <($T bash -c "$(declare -f tree_list); tree_list '$3'")
  check_files "$1: modes" <(modes_of "$2") <($T bash -c "$(declare -f modes_of); modes_of '$3'")
  check_files "$1: mtimes" <(times_of "$2") <($T bash -c "$(declare -f times_of); times_of '$3'")
  check_files "$1: owners" <(owners_of "$2") <($T bash -c "$(declare -f owners_of); owners_of '$3'")
  check_files "$1: symlink targets" <(cd "$2" && find . -type l -printf '%p -> %l\n' | LC_ALL=C sort) \
    <(cd "$3" && $T find . -type l -printf '%p -> %l\n' | LC_ALL=C sort)
}
# same_xattrs DESCRIPTION REF DIR : the user.* attributes in DIR are those of REF
same_xattrs() {
  check_files "$1: user.* attributes" <(xattrs_of "$2") <($T bash -c "$(declare -f xattrs_of); xattrs_of '$3'")
}

# --- cp -a in and out
check "cp -a into the mount" $T cp -a "$SRC" "$MNT/cp"
same_tree "cp -a in" "$SRC" "$MNT/cp"
same_xattrs "cp -a in" "$SRC" "$MNT/cp"
check "cp -a out of the mount" $T cp -a "$MNT/cp" "$OUT/cp"
same_tree "cp -a out" "$SRC" "$OUT/cp"
same_xattrs "cp -a out" "$SRC" "$OUT/cp"
check_eq "stat of a copied file: mode, owner, size, mtime" "$(stat -c '%a %u %g %s %Y' "$SRC/docs/readme.md")" \
  "$($T stat -c '%a %u %g %s %Y' "$MNT/cp/docs/readme.md")"

# --- head, tail, sha256sum, grep -r, find on the copy, before anything changes it
BIG=$MNT/cp/data/random.bin
check "head -c 1000" cmp -s <(head -c 1000 "$SRC/data/random.bin") <($T head -c 1000 "$BIG")
check "head -c 2000001" cmp -s <(head -c 2000001 "$SRC/data/random.bin") <($T head -c 2000001 "$BIG")
check "head -n 2" cmp -s <(head -n 2 "$SRC/docs/sub/deep/nested.txt") <($T head -n 2 "$MNT/cp/docs/sub/deep/nested.txt")
check "tail -c 517" cmp -s <(tail -c 517 "$SRC/data/random.bin") <($T tail -c 517 "$BIG")
check "tail -c +3000000" cmp -s <(tail -c +3000000 "$SRC/data/random.bin") <($T tail -c +3000000 "$BIG")
check_eq "tail -n 1" "the needle is here" "$($T tail -n 1 "$MNT/cp/hello.txt")"
check_files "sha256sum of every file" <(snapshot "$SRC") \
  <($T bash -c "$(declare -f snapshot); snapshot '$MNT/cp'")
check_eq "sha256sum of the big file" "$(sha256sum <"$SRC/data/random.bin")" "$($T sha256sum <"$BIG")"
check_files "grep -rn needle" <(cd "$SRC" && grep -rn needle . | LC_ALL=C sort) \
  <(cd "$MNT/cp" && $T grep -rn needle . | LC_ALL=C sort)
check_files "grep -rl --include=*.txt needle" <(cd "$SRC" && grep -rl --include='*.txt' needle . | LC_ALL=C sort) \
  <(cd "$MNT/cp" && $T grep -rl --include='*.txt' needle . | LC_ALL=C sort)
check_eq "grep -c on the binary file finds no needle" "0" "$($T grep -c needle-that-is-not-there "$BIG")"
for expr in "-type f" "-type d" "-type l" "-name *.txt" "-size +1M" "-perm -u+x -type f" "-empty" \
  "-newermt @1000500000 -type f" "-user 1234" "-maxdepth 1"; do
  # shellcheck disable=SC2086 # the expression is split on purpose
  check_files "find $expr" <(cd "$SRC" && find . $expr | LC_ALL=C sort) <(cd "$MNT/cp" && $T find . $expr | LC_ALL=C sort)
done
check_files "find -printf (type, mode, size, mtime, link)" \
  <(cd "$SRC" && find . -printf '%y %m %s %T@ %l %p\n' | grep -v '^d' | LC_ALL=C sort) \
  <(cd "$MNT/cp" && $T find . -printf '%y %m %s %T@ %l %p\n' | grep -v '^d' | LC_ALL=C sort)

# --- tar c and tar x into the mount (plain, then with user.* attributes)
check "tar c of the local tree" tar -C "$SRC" -cf "$WORK/src.tar" --xattrs --xattrs-include='user.*' .
mkdir -p "$MNT/tar" "$MNT/tarx"
check "tar x into the mount" $T tar -C "$MNT/tar" -xpf "$WORK/src.tar"
same_tree "tar x in" "$SRC" "$MNT/tar"
check "tar x --xattrs into the mount" $T tar -C "$MNT/tarx" -xpf "$WORK/src.tar" --xattrs --xattrs-include='user.*'
same_tree "tar x --xattrs in" "$SRC" "$MNT/tarx"
same_xattrs "tar x --xattrs in" "$SRC" "$MNT/tarx"
check "tar c of the mount" $T tar -C "$MNT/tar" -cf "$WORK/mnt.tar" .
mkdir -p "$OUT/tar"
check "tar x of the mount's archive" tar -C "$OUT/tar" -xpf "$WORK/mnt.tar"
same_tree "tar c out" "$SRC" "$OUT/tar"
check_files "tar tv lists the same entries" <(tar -tvf "$WORK/src.tar" | LC_ALL=C sort) \
  <(tar -tvf "$WORK/mnt.tar" | LC_ALL=C sort)

# --- rsync -a into the mount; a second run transfers nothing; a change transfers one file
RSRC=$WORK/rsync-src  # a copy of $SRC, changed below
cp -a "$SRC" "$RSRC"
check "rsync -a into the mount" $T rsync -aX "$RSRC/" "$MNT/rsync/"
same_tree "rsync -a in" "$SRC" "$MNT/rsync"
same_xattrs "rsync -a in" "$SRC" "$MNT/rsync"
check_eq "rsync -a again: --itemize-changes is empty" "" \
  "$($T rsync -aX --itemize-changes "$RSRC/" "$MNT/rsync/" 2>&1)"
check_eq "rsync -a --checksum again: nothing differs" "" \
  "$($T rsync -aX --checksum --itemize-changes "$RSRC/" "$MNT/rsync/" 2>&1)"
printf 'changed after the first rsync\n' >>"$RSRC/docs/readme.md"
touch -d "@1200000000" "$RSRC/docs/readme.md"
check_eq "rsync -a after a change transfers just that file" ">f.st...... docs/readme.md" \
  "$($T rsync -aX --itemize-changes "$RSRC/" "$MNT/rsync/" 2>&1)"
check "rsync: the changed file matches" cmp -s "$RSRC/docs/readme.md" "$MNT/rsync/docs/readme.md"
check_eq "rsync -a a third time: --itemize-changes is empty" "" \
  "$($T rsync -aX --itemize-changes "$RSRC/" "$MNT/rsync/" 2>&1)"
check "rsync -a out of the mount" $T rsync -aX "$MNT/rsync/" "$OUT/rsync/"
same_tree "rsync -a out" "$RSRC" "$OUT/rsync"
check "rsync --delete removes what the source lost" bash -c \
  "mkdir -p '$WORK/small' && echo one >'$WORK/small/one' && $T rsync -a --delete '$WORK/small/' '$MNT/rsync/' &&
   [ \"\$(ls -A '$MNT/rsync')\" == one ]"

# --- mv: files and folders inside the mount, in from and out to a local folder
cat "$SRC/hello.txt" >"$MNT/mv-file.txt" && chmod 644 "$MNT/mv-file.txt" && touch -r "$SRC/hello.txt" "$MNT/mv-file.txt" &&
  setfattr -n user.color -v blue "$MNT/mv-file.txt" || fail "making the file to move"
check "mv a file into a folder" $T mv "$MNT/mv-file.txt" "$MNT/cp/docs/moved.txt"
check "mv a file: content at the new name" cmp -s "$SRC/hello.txt" "$MNT/cp/docs/moved.txt"
check_eq "mv a file: the old name is gone" "ENOENT" "$(errno_of lstat "$MNT/mv-file.txt")"
check_eq "mv a file keeps its mode, mtime and attribute" \
  "$(stat -c '%a %Y' "$SRC/hello.txt") blue" \
  "$($T stat -c '%a %Y' "$MNT/cp/docs/moved.txt") $(xattr_value "$MNT/cp/docs/moved.txt" user.color)"
check "mv a folder tree" $T mv "$MNT/cp/docs" "$MNT/moved-docs"
check "mv a folder: diff -r" $T diff -r --no-dereference --exclude=moved.txt "$SRC/docs" "$MNT/moved-docs"
check_eq "mv a folder: the old name is gone" "ENOENT" "$(errno_of lstat "$MNT/cp/docs")"
check_eq "mv a folder: a symlink inside still points the same way" "../../hello.txt" \
  "$($T readlink "$MNT/moved-docs/sub/up")"
check "mv a folder into a folder" $T mv "$MNT/moved-docs" "$MNT/cp/private/"
check "mv a folder into a folder: nested file" cmp -s "$SRC/docs/sub/deep/nested.txt" \
  "$MNT/cp/private/moved-docs/sub/deep/nested.txt"
check "mv a folder back" $T mv "$MNT/cp/private/moved-docs" "$MNT/cp/docs"
check "mv a folder back: ls of the old parent" test "$(ls -A "$MNT/cp/private")" == key.txt
check "rm the moved file" $T rm "$MNT/cp/docs/moved.txt"
cp -a "$SRC/data/exact64k.bin" "$WORK/local-in.bin"
check "mv a local file into the mount" $T mv "$WORK/local-in.bin" "$MNT/in.bin"
check "mv in: content" cmp -s "$SRC/data/exact64k.bin" "$MNT/in.bin"
check_eq "mv in: mtime kept" "$(stat -c %Y "$SRC/data/exact64k.bin")" "$($T stat -c %Y "$MNT/in.bin")"
check "mv a folder out of the mount" $T mv "$MNT/tar/docs" "$OUT/docs-out"
check "mv out: diff -r" diff -r --no-dereference "$SRC/docs" "$OUT/docs-out"
check_eq "mv out: the folder is gone from the mount" "ENOENT" "$(errno_of lstat "$MNT/tar/docs")"

# --- rm -r
check "rm -r a folder tree (with a 700 folder and a 444 file)" $T rm -r "$MNT/tar" "$MNT/tarx"
check_eq "rm -r: the folder is gone" "ENOENT" "$(errno_of lstat "$MNT/tar")"
check "rm -rf a folder" $T rm -rf "$MNT/rsync"
check_eq "rm -rf: gone" "ENOENT" "$(errno_of lstat "$MNT/rsync")"
check_eq "ls / after the removals" "cp in.bin" "$($T ls "$MNT" | tr '\n' ' ' | sed 's/ $//')"

# --- ln -s
check "ln -s relative" $T ln -s cp/hello.txt "$MNT/rel-link"
check "ln -s absolute" $T ln -s "$SRC/hello.txt" "$MNT/abs-link"
check "ln -s dangling" $T ln -s "nowhere/at all" "$MNT/dangling-link"
check "ln -s to a folder" $T ln -s cp/docs "$MNT/dir-link"
check_eq "readlink relative" "cp/hello.txt" "$($T readlink "$MNT/rel-link")"
check_eq "readlink absolute" "$SRC/hello.txt" "$($T readlink "$MNT/abs-link")"
check_eq "readlink dangling" "nowhere/at all" "$($T readlink "$MNT/dangling-link")"
check "cat through the relative link" cmp -s "$SRC/hello.txt" "$MNT/rel-link"
check "cat through the absolute link (out of the mount)" cmp -s "$SRC/hello.txt" "$MNT/abs-link"
check "ls through a folder link" test "$($T ls "$MNT/dir-link/sub/deep")" == nested.txt
check_eq "stat -c %F of a link" "symbolic link" "$($T stat -c %F "$MNT/rel-link")"
check_eq "a symlink's size is its target's length" "12" "$($T stat -c %s "$MNT/rel-link")"
check "ln -sf replaces a link" $T ln -sfn cp/empty.txt "$MNT/rel-link"
check_eq "readlink after ln -sf" "cp/empty.txt" "$($T readlink "$MNT/rel-link")"

# --- touch
check "touch a new file" $T touch "$MNT/touched"
check_eq "touch: an empty regular file" "regular empty file 0" "$($T stat -c '%F %s' "$MNT/touched")"
check "touch -d an existing file" $T touch -d "@1234567890.5" "$MNT/touched"
check_eq "touch -d: mtime to the millisecond" "1234567890.500000000" "$($T stat -c %.9Y "$MNT/touched")"
before=$(date +%s)
check "touch (now) an existing file" $T touch "$MNT/cp/hello.txt"
now_mtime=$($T stat -c %Y "$MNT/cp/hello.txt")
check "touch: mtime is now ($now_mtime, started $before)" test "$now_mtime" -ge "$before" -a "$now_mtime" -le "$(($(date +%s) + 1))"
check "touch -m -d a folder" $T touch -m -d "@1111111111" "$MNT/cp/docs"
check_eq "touch a folder: mtime" "1111111111" "$($T stat -c %Y "$MNT/cp/docs")"
check "touch -h -d a symlink" $T touch -h -d "@1222222222" "$MNT/dangling-link"
check_eq "touch -h: the link's mtime" "1222222222" "$($T stat -c %Y "$MNT/dangling-link")"
check "touch -r copies a time" $T touch -r "$SRC/bin/run.sh" "$MNT/touched"
check_eq "touch -r: mtime" "$(stat -c %Y "$SRC/bin/run.sh")" "$($T stat -c %Y "$MNT/touched")"
check_eq "touch keeps the content" "$(cat "$SRC/hello.txt")" "$($T cat "$MNT/cp/hello.txt")"

# --- chmod
check "chmod 640" $T chmod 640 "$MNT/touched"
check_eq "chmod 640: mode" "640" "$($T stat -c %a "$MNT/touched")"
check "chmod u+x,g-r,o+r (symbolic)" $T chmod u+x,g-r,o+r "$MNT/touched"
check_eq "chmod symbolic: mode" "704" "$($T stat -c %a "$MNT/touched")"
check "chmod -R go-rwx" $T chmod -R go-rwx "$MNT/cp/docs"
check_files "chmod -R: every mode" \
  <(cd "$SRC/docs" && find . ! -type l -printf '%y %m %p\n' | LC_ALL=C sort | awk '{ print $1, substr($2, 1, length($2) - 2) "00", $3 }') \
  <(cd "$MNT/cp/docs" && $T find . ! -type l -printf '%y %m %p\n' | LC_ALL=C sort)
check "chmod 4755 (setuid bit kept as a mode bit)" $T chmod 4755 "$MNT/cp/bin/run.sh"
check_eq "chmod 4755: mode" "4755" "$($T stat -c %a "$MNT/cp/bin/run.sh")"
check "a chmod 755 file runs" test "$($T "$MNT/cp/bin/run.sh")" == run
check "chmod keeps the mtime" test "$($T stat -c %Y "$MNT/cp/bin/run.sh")" == "$(stat -c %Y "$SRC/bin/run.sh")"

# --- setfattr / getfattr
F=$MNT/cp/empty.txt
check "setfattr user.a" $T setfattr -n user.a -v "first value" "$F"
check "setfattr user.b (hex)" $T setfattr -n user.b -v 0x00ff10 "$F"
check "setfattr user.long (4000 bytes)" $T setfattr -n user.long -v "$(head -c 4000 /dev/zero | tr '\0' L)" "$F"
check_eq "getfattr user.a" "first value" "$(xattr_value "$F" user.a)"
check_eq "getfattr -e hex user.b" "user.b=0x00ff10" "$($T getfattr --absolute-names -e hex -n user.b "$F" 2>/dev/null | grep '^user')"
check_eq "getfattr user.long: length" "4000" "$($T getfattr --only-values -n user.long "$F" 2>/dev/null | wc -c)"
check "setfattr replaces a value" $T setfattr -n user.a -v "second" "$F"
check_eq "getfattr after replace" "second" "$(xattr_value "$F" user.a)"
check "setfattr -x removes" $T setfattr -x user.long "$F"
check_eq "getfattr -d lists what is left" $'user.a="second"\nuser.b=0sAP8Q' \
  "$($T getfattr --absolute-names -d "$F" 2>/dev/null | grep '^user' | LC_ALL=C sort)"
check "setfattr on a folder" $T setfattr -n user.folder -v yes "$MNT/cp/docs"
check_eq "getfattr on a folder" "yes" "$(xattr_value "$MNT/cp/docs" user.folder)"
check_eq "the file kept its bytes" "0" "$($T stat -c %s "$F")"
check_eq "getfattr -d kept the copied attribute" 'user.color="blue"' \
  "$($T getfattr --absolute-names -d "$MNT/cp/hello.txt" 2>/dev/null | grep '^user')"

# --- dd with skip and seek (each edit is made to a local copy too, and the two compared)
cp "$SRC/data/random.bin" "$WORK/dd.bin"
check "cp a big file in" $T cp "$SRC/data/random.bin" "$MNT/dd.bin"
dd_both() { # dd_both DESCRIPTION DD-ARGS... : writes with the same arguments to the local copy and the mount
  local what=$1; shift
  dd of="$WORK/dd.bin" "$@" status=none
  check "$what" $T dd of="$MNT/dd.bin" "$@" status=none
  check "$what: same bytes as the local copy" cmp "$WORK/dd.bin" "$MNT/dd.bin"
}
dd_both "dd seek=1000 bs=1 conv=notrunc" if="$SRC/hello.txt" bs=1 seek=1000 conv=notrunc
dd_both "dd seek=17 bs=65536 conv=notrunc (an aligned block)" if="$SRC/data/exact64k.bin" bs=65536 seek=17 conv=notrunc
dd_both "dd skip=3 seek=777 bs=1000 count=5 conv=notrunc" if="$SRC/data/random.bin" bs=1000 skip=3 seek=777 count=5 conv=notrunc
dd_both "dd seek past the end (a hole)" if="$SRC/hello.txt" bs=1 seek=$((4 * 1024 * 1024)) conv=notrunc
dd_both "dd seek=2000 bs=1000 without notrunc (cuts the rest)" if="$SRC/hello.txt" bs=1000 seek=2000
check_eq "size after the cut" "$(stat -c %s "$WORK/dd.bin")" "$($T stat -c %s "$MNT/dd.bin")"
for args in "bs=4096 skip=100 count=10" "bs=1000 skip=1234 count=77" "bs=1 skip=1999999 count=30" "bs=1M skip=1"; do
  check "dd $args out of the mount" cmp -s <(dd if="$WORK/dd.bin" $args status=none) <($T dd if="$MNT/dd.bin" $args status=none)
done
check_eq "dd skip beyond the end reads nothing" 0 "$($T dd if="$MNT/dd.bin" bs=1M skip=50 status=none | wc -c)"

# --- saves through a temporary file and rename: sed -i and vim
printf 'alpha\nbeta\ngamma\n' >"$MNT/edit.txt"
chmod 640 "$MNT/edit.txt"
check "sed -i" $T sed -i 's/beta/BETA/' "$MNT/edit.txt"
check_eq "sed -i: content" $'alpha\nBETA\ngamma' "$($T cat "$MNT/edit.txt")"
check_eq "sed -i: mode kept" "640" "$($T stat -c %a "$MNT/edit.txt")"
check_eq "sed -i: no temporary file left" "edit.txt" "$(cd "$MNT" && $T ls -A | grep edit)"
if command -v vim >/dev/null; then
  check "vim (backupcopy=no: rename the old file, write a new one)" $T vim -u NONE -i NONE -N -es \
    -c 'set backupcopy=no writebackup nobackup noswapfile' -c '%s/gamma/GAMMA/' -c 'wq' "$MNT/edit.txt"
  check_eq "vim: content" $'alpha\nBETA\nGAMMA' "$($T cat "$MNT/edit.txt")"
  check_eq "vim: mode kept" "640" "$($T stat -c %a "$MNT/edit.txt")"
  check_eq "vim: no backup file left" "edit.txt" "$(cd "$MNT" && $T ls -A | grep edit)"
  setfattr -n user.tag -v kept "$MNT/edit.txt"
  check "vim (backupcopy=yes, swap file)" $T vim -u NONE -i NONE -N -es \
    -c 'set backupcopy=yes writebackup swapfile' -c '%s/alpha/ALPHA/' -c 'wq' "$MNT/edit.txt"
  check_eq "vim backupcopy=yes: content" $'ALPHA\nBETA\nGAMMA' "$($T cat "$MNT/edit.txt")"
  check_eq "vim backupcopy=yes: attribute kept" "kept" "$(xattr_value "$MNT/edit.txt" user.tag)"
else
  echo "skip - vim is not installed"
fi

# --- git inside the mount
G="$T git -c user.name=Test -c user.email=test@example.org -c init.defaultBranch=main -c gc.auto=0"
mkdir -p "$MNT/repo"
cp -a "$SRC/docs" "$SRC/bin" "$SRC/hello.txt" "$MNT/repo/"
check "git init" $G -C "$MNT/repo" init -q
check "git add -A" $G -C "$MNT/repo" add -A
check "git commit" $G -C "$MNT/repo" commit -q -m "first"
check_eq "git log: one commit" "first" "$($G -C "$MNT/repo" log --format=%s 2>&1)"
check_eq "git status: clean" "" "$($G -C "$MNT/repo" status --porcelain 2>&1)"
printf 'a second line\n' >>"$MNT/repo/hello.txt"
git -C "$MNT/repo" mv docs/readme.md docs/README.md 2>/dev/null
check_eq "git status: the change shows" $'R  docs/readme.md -> docs/README.md\n M hello.txt' \
  "$($G -C "$MNT/repo" status --porcelain 2>&1)"
check "git commit -a" $G -C "$MNT/repo" commit -q -a -m "second"
check_eq "git log: two commits" $'second\nfirst' "$($G -C "$MNT/repo" log --format=%s 2>&1)"
check_eq "git status: clean again" "" "$($G -C "$MNT/repo" status --porcelain 2>&1)"
check_eq "git diff HEAD~1 --stat" "2" "$($G -C "$MNT/repo" diff --name-only HEAD~1 2>&1 | wc -l)"
check "git fsck --full --strict" $G -C "$MNT/repo" fsck --full --strict --no-progress
check "git gc (packs and prunes)" $G -C "$MNT/repo" gc -q --prune=now
check "git fsck after gc" $G -C "$MNT/repo" fsck --full --strict --no-progress
check "git clone out of the mount" $G clone -q "$MNT/repo" "$OUT/clone"
check "the clone's files match the worktree" diff -r --exclude=.git "$MNT/repo" "$OUT/clone"
check "the executable bit is in git" test "$($G -C "$OUT/clone" ls-files -s bin/run.sh | cut -c1-6)" == 100755

# --- two concurrent readers of one big file (and one reading the middle)
head -c $((24 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
check "cp a 24 MiB file in" $T cp "$WORK/big.bin" "$MNT/big.bin"
concurrent_readers "$WORK/big.bin" "$MNT/big.bin"

# --- everything again after a remount (from the drive, not from caches)
meta_list() { (cd "$1" && find . -printf '%y %m %U:%G %T@ %s %l %p\n' | LC_ALL=C sort); }
snapshot "$MNT" >"$WORK/before.sum" 2>&1
meta_list "$MNT" >"$WORK/before.meta" 2>&1
xattrs_of "$MNT" >"$WORK/before.xattrs" 2>&1
unmount_checked "$MNT"
hm_ok drive cat "$K" /big.bin --store "$S1"
check "drive cat of the big file" cmp -s "$WORK/big.bin" "$WORK/out"
hm_ok drive cat "$K" /edit.txt --store "$S1"
check_eq "drive cat of the edited file" $'ALPHA\nBETA\nGAMMA' "$(cat "$WORK/out")"
mount_drive "$K" "$MNT" "store=$S1"
check_eq "remount exits 0 ($(msg))" 0 "$RC"
check_files "after remount: every file" "$WORK/before.sum" <($T bash -c "$(declare -f snapshot); snapshot '$MNT'")
check_files "after remount: types, modes, owners, mtimes, sizes, link targets" "$WORK/before.meta" \
  <($T bash -c "$(declare -f meta_list); meta_list '$MNT'")
check_files "after remount: attributes" "$WORK/before.xattrs" <($T bash -c "$(declare -f xattrs_of); xattrs_of '$MNT'")
check "after remount: git fsck" $G -C "$MNT/repo" fsck --full --strict --no-progress
check_eq "after remount: git status clean" "" "$($G -C "$MNT/repo" status --porcelain 2>&1)"
unmount_checked "$MNT"
finish
