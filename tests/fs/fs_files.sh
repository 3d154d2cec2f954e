#!/usr/bin/env bash
# create, import and export (no FUSE): a tree with every file type goes into a new drive and
# back out unchanged (types, permissions, owners, mtimes, symlinks, xattrs, empty folders);
# import into a path of an existing drive; progress as lines and as a bar on a terminal (a pty);
# bad input (not a key, a key that is a local path, a read-only drive, a store on a read-only
# file system or a full tmpfs) fails clearly and leaves the store sound; SIGINT during an import
# stops it with exit status 6 and a rerun finishes it.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/make_tree.sh"
LIST="python3 $(dirname "$0")/tree_listing.py"

SRC=$WORK/src
S=$WORK/store
make_tree "$SRC"

# create DIR prints hyper://KEY; export gives the same tree back
hm_ok create "$SRC" --store "$S" -q
K=$(head -n1 "$WORK/out")
check "create prints a hyper:// key ($K)" bash -c "[[ '$K' =~ ^hyper://[0-9a-f]{64}$ ]]"
check_eq "create -q prints nothing on stderr" "" "$(cat "$WORK/err")"
hm_ok export "$K" "$WORK/out1" --store "$S" -q
check_files "export of a created drive lists as the source" <($LIST "$SRC" --no-root-times) <($LIST "$WORK/out1" --no-root-times)
check "every core of the store verifies" verify_store "$S"

# create with no DIR: an empty drive; each create makes another drive
hm_ok create --store "$S"
K2=$(head -n1 "$WORK/out")
check "a second create makes another drive" test "$K2" != "$K"

# import into a path of a drive, then export that path; a rerun skips unchanged files
hm_ok import "$SRC" "$K2/sub/tree" --store "$S"
check "import without -q prints progress lines" grep -q '^import: .* files' "$WORK/err"
hm_ok export "$K2/sub/tree" "$WORK/out2" --store "$S" -q
check_files "export of an imported path lists as the source" <($LIST "$SRC" --no-root-times) <($LIST "$WORK/out2" --no-root-times)
printf 'changed\n' >"$SRC/hello.txt"; touch -d '2022-01-01' "$SRC/hello.txt"
hm_ok import "$SRC" "$K2/sub/tree" --store "$S" -q
hm_ok export "$K2/sub/tree/hello.txt" "$WORK/out3" --store "$S" -q
check_eq "a rerun of import takes the changed file" "changed" "$(cat "$WORK/out3/hello.txt")"
hm_ok export "$K2+3" "$WORK/old" --store "$S" -q
check "export of an old version (KEY+3) works" test -d "$WORK/old"

# progress as a bar on a terminal: \r redraws and a percentage
python3 - "$HYPERMOUNT" "$SRC" "$S" >"$WORK/pty.out" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "create", sys.argv[2], "--store", sys.argv[3]])
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
os.waitpid(pid, 0)
sys.stdout.write(data.decode("utf-8", "replace"))
PY
check "create on a terminal draws a bar (\\r, [###], %)" grep -q $'\r\[#*' "$WORK/pty.out"
check "the bar says the files" grep -q 'of [0-9]* files' "$WORK/pty.out"

# bad input
hm export not-a-key "$WORK/x" --store "$S"
check "export of a bad key: usage error (exit $RC: $(msg))" bash -c "[ $RC -eq 2 ] && grep -q 'not a drive key' '$WORK/err'"
hm export "$SRC/hello.txt" "$WORK/x" --store "$S"
check "a key that is a local file is said to be one (exit $RC: $(msg))" grep -q 'is a local file' "$WORK/err"
hm import "$WORK/x" "$SRC" --store "$S"
check "import to a local folder instead of a key (exit $RC: $(msg))" grep -q 'is a local folder' "$WORK/err"
hm import "$WORK/missing" "$K" --store "$S"
check "import of a missing folder fails (exit $RC: $(msg))" bash -c "[ $RC -ne 0 ] && grep -q 'missing' '$WORK/err'"
hm import "$SRC" "$K+2" --store "$S"
check "import into a version fails (exit $RC: $(msg))" test "$RC" -eq 2
hm export "$K/no/such" "$WORK/x" --store "$S"
check "export of a missing path: exit 3 (exit $RC: $(msg))" test "$RC" -eq 3

FS=$WORK/fs
mkdir -p "$FS"
if mount -t tmpfs -o size=4m,ro hm-files-ro "$FS" 2>/dev/null; then
  hm create "$SRC" --store "$FS/store"
  check "create in a store on a read-only file system fails clearly (exit $RC: $(msg))" \
    bash -c "[ $RC -ne 0 ] && [ $RC -lt 124 ] && grep -qi 'read-only' '$WORK/err'"
  umount "$FS"
fi
if mount -t tmpfs -o size=2m hm-files-full "$FS" 2>/dev/null; then
  trap 'umount "$FS" 2>/dev/null; cleanup' EXIT
  hm create "$SRC" --store "$FS/store"
  check "create into a full tmpfs fails clearly (exit $RC: $(msg))" \
    bash -c "[ $RC -ne 0 ] && [ $RC -lt 124 ] && grep -qi 'space' '$WORK/err'"
  KF=$(head -n1 "$WORK/out")
  check "every core of the full store still verifies" verify_store "$FS/store"
  umount "$FS"
fi

# SIGINT during an import: exit 6, then the rerun finishes it
BIG=$WORK/big
mkdir -p "$BIG"
for i in $(seq 1 400); do head -c 1000000 /dev/urandom >"$BIG/f$i"; done
"$HYPERMOUNT" create "$BIG" --store "$WORK/s4" >"$WORK/int.out" 2>"$WORK/int.err" </dev/null &
IPID=$!
wait_until 30 bash -c "[ \$(du -sm '$WORK/s4' 2>/dev/null | cut -f1) -ge 40 ]" || fail "the big import did not start"
kill -INT "$IPID"
wait "$IPID"; RCI=$?
KI=$(head -n1 "$WORK/int.out")
if [ "$RCI" -eq 0 ]; then
  echo "note: the import finished before SIGINT came"
else
  check_eq "SIGINT stops an import with exit 6 ($(head -c 200 "$WORK/int.err"))" 6 "$RCI"
  check "the interrupted import says how to go on" grep -q 'interrupted' "$WORK/int.err"
  check "every core of the interrupted store verifies" verify_store "$WORK/s4"
  hm_ok import "$BIG" "$KI" --store "$WORK/s4" -q
fi
hm_ok export "$KI" "$WORK/big-out" --store "$WORK/s4" -q
check_files "after the rerun the drive holds the whole folder" <($LIST "$BIG" --no-root-times) <($LIST "$WORK/big-out" --no-root-times)
finish
