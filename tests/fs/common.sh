# Shared setup for the fs tests: real FUSE mounts of hypermount drives (sourced by fs_*.sh; not a
# test itself). Environment: HYPERMOUNT = our binary; HM_KEEP=1 keeps the work folder.
# Exit codes of a test: 0 pass, 1 fail, 77 skip.
set -uo pipefail
export LC_ALL=C.UTF-8

skip() { echo "SKIP: $*"; exit 77; }
if [ -z "${HYPERMOUNT:-}" ] || [ ! -x "$HYPERMOUNT" ]; then
  echo "FAIL: HYPERMOUNT='${HYPERMOUNT:-}' is not an executable"; exit 1
fi
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
command -v fusermount3 >/dev/null || skip "fusermount3 is not installed"
command -v mountpoint >/dev/null || skip "mountpoint (util-linux) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed (used to read errno values)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-fs.XXXXXX")
MOUNTS=()  # mount points to unmount at exit
PIDS=()    # background processes (servers, foreground mounts) to stop at exit, as PID:START (track)

is_mounted() { grep -q " $1 fuse" /proc/mounts; }

# unmount_quietly DIR : fusermount3 -u, then a lazy unmount if the first one fails
unmount_quietly() {
  is_mounted "$1" || return 0
  timeout 20 fusermount3 -u "$1" 2>/dev/null || timeout 20 fusermount3 -uz "$1" 2>/dev/null || true
}

source "$(dirname "${BASH_SOURCE[0]}")/../process_ids.sh"

# stop_pid PID : SIGTERM, up to 5 s to exit, then SIGKILL
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local m p left=0
  for m in "${MOUNTS[@]}"; do unmount_quietly "$m"; done
  for p in "${PIDS[@]}"; do
    if [ -n "${p#*:}" ] && [ "$(start_of "${p%%:*}")" = "${p#*:}" ]; then stop_pid "${p%%:*}"; fi
  done
  for m in "${MOUNTS[@]}"; do is_mounted "$m" && left=1; done
  if [ -n "${HM_KEEP:-}" ]; then
    echo "work folder (kept): $WORK"
  elif [ "$left" -eq 0 ]; then
    rm -rf "$WORK"
  else
    echo "a mount is still up under $WORK; not removing it"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND... : pass if COMMAND succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
check_files() { # check_files DESCRIPTION EXPECTED_FILE ACTUAL_FILE : identical, else show a diff
  # (copied first: the arguments are often <(...) pipes, readable once)
  cat "$2" >"$WORK/expected.cmp"; cat "$3" >"$WORK/actual.cmp"
  if cmp -s "$WORK/expected.cmp" "$WORK/actual.cmp"; then pass "$1"; else
    fail "$1 (diff expected actual):"
    diff "$WORK/expected.cmp" "$WORK/actual.cmp" | head -n 20 | sed 's/^/       /'
  fi
}
finish() {
  if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
  echo "all checks passed"; exit 0
}

# hm ARGS... : runs our binary (60 s limit); sets RC, stdout in $WORK/out, stderr in $WORK/err.
hm() {
  RC=0
  timeout 60 "$HYPERMOUNT" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || RC=$?
  if [ "$RC" -ge 124 ]; then
    fail "hypermount $* crashed or hung (exit $RC): $(head -c 300 "$WORK/err")"
  fi
}
# hm_ok ARGS... : hm, and a failure if the exit status is not 0
hm_ok() {
  hm "$@"
  [ "$RC" -eq 0 ] || fail "hypermount $* exited $RC: $(head -c 300 "$WORK/err")"
}
msg() { cat "$WORK/out" "$WORK/err" | head -c 400 | tr '\n' ' '; }

# new_drive STORE : `drive create` in STORE; sets K to the new key (or fails and finishes).
new_drive() {
  hm_ok drive create --store "$1"
  K=$(head -n1 "$WORK/out")
  [[ $K =~ ^[0-9a-f]{64}$ ]] || { fail "drive create printed no key: $(msg)"; finish; }
}

# lan_off OPTIONS : OPTIONS with mdns=off and bootstrap=none unless they choose: tests never
# multicast on the machine's LAN nor ask the public DHT (those that test discovery pin mDNS to
# loopback with mdns=127.0.0.1 and run their own bootstrap node there)
lan_off() {
  local o=$1
  [[ ",$o," == *,mdns=* ]] || o="$o,mdns=off"
  [[ ",$o," == *,bootstrap=* ]] || o="$o,bootstrap=none"
  echo "$o"
}

# mount_drive SOURCE DIR OPTIONS : daemonised mount; sets RC; registers DIR for the cleanup.
mount_drive() {
  mkdir -p "$2"
  MOUNTS+=("$2")
  hm mount "$1" "$2" -o "$(lan_off "$3")"
}

# mount_fg SOURCE DIR OPTIONS : mounts with -f in the background (output in DIR.out, DIR.err);
# sets MPID; false (and a failure) if DIR is not mounted within 10 s.
mount_fg() {
  mkdir -p "$2"
  MOUNTS+=("$2")
  "$HYPERMOUNT" mount "$1" "$2" -f -o "$(lan_off "$3")" >"$2.out" 2>"$2.err" </dev/null &
  MPID=$!
  track "$MPID"
  wait_until 10 is_mounted "$2" && return 0
  fail "the -f mount at $2 did not come up: $(head -c 300 "$2.err")"
  return 1
}

# mount_pid DIR : prints the PID of the (daemonised) hypermount process mounted at DIR
mount_pid() {
  local dir argv
  for dir in /proc/[0-9]*; do
    [ -r "$dir/cmdline" ] || continue
    mapfile -d '' argv <"$dir/cmdline" 2>/dev/null || continue
    [ "${argv[0]:-}" == "$HYPERMOUNT" ] && [ "${argv[1]:-}" == mount ] && [ "${argv[3]:-}" == "$1" ] &&
      echo "${dir#/proc/}"
  done
}

# unmount_checked DIR : fusermount3 -u as a check, waits until DIR leaves /proc/mounts and its
# daemon has exited (so the store is free for the next command)
unmount_checked() {
  local pid
  pid=$(mount_pid "$1")
  check "fusermount3 -u $(basename "$1")" timeout 20 fusermount3 -u "$1"
  wait_until 10 bash -c "! grep -q ' $1 fuse' /proc/mounts" || fail "the mount at $1 did not go away"
  [ -z "$pid" ] || wait_until 20 bash -c "! kill -0 $pid 2>/dev/null" || fail "the daemon of $1 did not exit"
}

# store_tmpfs SIZE NAME : mounts a tmpfs of SIZE (named NAME) at $FS for the test's store, so a
# bug can never fill the machine's disk; at exit the drive's mounts go first, then the tmpfs.
store_tmpfs() {
  mkdir -p "$FS"
  mount -t tmpfs -o "size=$1" "$2" "$FS" 2>"$WORK/tmpfs.err" || skip "cannot mount a tmpfs: $(head -c 200 "$WORK/tmpfs.err")"
  trap 'for m in "${MOUNTS[@]}"; do unmount_quietly "$m"; done; umount "$FS" 2>/dev/null || true; cleanup' EXIT
}

# wait_until SECONDS COMMAND... : polls COMMAND every 0.1 s; false if it never succeeds in time
wait_until() {
  local limit=$(( $1 * 10 )) i; shift
  for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

# pid_gone PID : true once the process (not necessarily our child) has exited
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# errno_of OP PATH [ARG] : the errno name an os call on PATH fails with ("OK" if it succeeds).
# OP: stat lstat open_r open_w open_rw open_trunc open_creat open_excl open_nofollow read write
#     mkdir rmdir unlink rename rename_noreplace (ARG: the new path) link (ARG: the new path)
#     chmod chown utime truncate symlink listdir mkfifo mknod_reg (a regular file through mknod)
#     setxattr setxattr_create setxattr_replace removexattr getxattr listxattr (ARG: the name)
#     readlink
errno_of() {
  timeout 60 python3 - "$@" <<'EOF'
import ctypes, errno, os, stat, sys
op, path = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
def renameat2_noreplace(old, new):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(old), -100, os.fsencode(new), 1) != 0:  # AT_FDCWD, RENAME_NOREPLACE
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
def run():
    if op == "stat": os.stat(path)
    elif op == "lstat": os.lstat(path)
    elif op == "open_r": os.close(os.open(path, os.O_RDONLY))
    elif op == "open_w": os.close(os.open(path, os.O_WRONLY))
    elif op == "open_rw": os.close(os.open(path, os.O_RDWR))
    elif op == "open_trunc": os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))
    elif op == "open_creat": os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    elif op == "open_excl": os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    elif op == "open_nofollow": os.close(os.open(path, os.O_RDONLY | os.O_NOFOLLOW))
    elif op == "write":
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
    elif op == "rename_noreplace": renameat2_noreplace(path, arg)
    elif op == "link": os.link(path, arg)
    elif op == "chown": os.chown(path, 1234, 1234)
    elif op == "utime": os.utime(path, (1000000000, 1000000000))
    elif op == "listdir": os.listdir(path)
    elif op == "mkfifo": os.mkfifo(path, 0o644)
    elif op == "mknod_reg": os.mknod(path, 0o644 | stat.S_IFREG)
    elif op == "setxattr_create": os.setxattr(path, arg, b"v", os.XATTR_CREATE)
    elif op == "setxattr_replace": os.setxattr(path, arg, b"v", os.XATTR_REPLACE)
    elif op == "read":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.lseek(fd, int(arg or 0), os.SEEK_SET)
            os.read(fd, 65536)
        finally:
            os.close(fd)
    elif op == "mkdir": os.mkdir(path)
    elif op == "rmdir": os.rmdir(path)
    elif op == "unlink": os.unlink(path)
    elif op == "rename": os.rename(path, arg)
    elif op == "chmod": os.chmod(path, 0o600)
    elif op == "truncate": os.truncate(path, 0)
    elif op == "symlink": os.symlink("target", path)
    elif op == "setxattr": os.setxattr(path, arg, b"v")
    elif op == "removexattr": os.removexattr(path, arg)
    elif op == "getxattr": os.getxattr(path, arg)
    elif op == "listxattr": os.listxattr(path)
    elif op == "readlink": os.readlink(path)
    else: raise SystemExit("errno_of: unknown op " + op)
try:
    run()
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
}

# times_of, modes_of, owners_of DIR : mtime (seconds), mode or owner of every non-symlink in DIR
times_of() { (cd "$1" && find . ! -type l -printf '%y %Ts %p\n' | LC_ALL=C sort); }
modes_of() { (cd "$1" && find . ! -type l -printf '%y %m %p\n' | LC_ALL=C sort); }
owners_of() { (cd "$1" && find . -printf '%y %U:%G %p\n' | LC_ALL=C sort); }
# xattrs_of DIR : every user.* attribute of every file and folder in DIR, by relative path
xattrs_of() { (cd "$1" && find . ! -type l -print0 | LC_ALL=C sort -z |
  xargs -0 -r getfattr --absolute-names -h -d -m '^user\.' 2>/dev/null); }
# xattr_value PATH NAME : the value of one attribute (or getfattr's error message)
xattr_value() { timeout 60 getfattr --absolute-names --only-values -n "$2" "$1" 2>&1; }
# concurrent_readers LOCAL MOUNTED : two sha256sum of MOUNTED and a dd of its middle (64 KiB blocks
# 40 to 59) run at once; each checked against LOCAL, the same bytes outside the mount
concurrent_readers() {
  local want r1 r2 r3 rc1 rc2 rc3
  want=$(sha256sum <"$1" | cut -d' ' -f1)
  timeout 120 sha256sum "$2" >"$WORK/r1" & r1=$!
  timeout 120 sha256sum "$2" >"$WORK/r2" & r2=$!
  timeout 120 dd if="$2" bs=65536 skip=40 count=20 status=none >"$WORK/r3" & r3=$!
  wait "$r1"; rc1=$?; wait "$r2"; rc2=$?; wait "$r3"; rc3=$?
  check_eq "concurrent readers exit 0" "0 0 0" "$rc1 $rc2 $rc3"
  check_eq "concurrent reader 1" "$want" "$(cut -d' ' -f1 "$WORK/r1")"
  check_eq "concurrent reader 2" "$want" "$(cut -d' ' -f1 "$WORK/r2")"
  check "concurrent reader 3 (dd in the middle)" cmp -s "$WORK/r3" <(dd if="$1" bs=65536 skip=40 count=20 status=none)
}

# core_dirs STORE : every hypercore folder in STORE, one a line
core_dirs() { find "$1" -name key -type f -printf '%h\n' | LC_ALL=C sort; }
# core_field DIR FIELD : one field (key, length, blocks-present, ...) of `core info DIR`
core_field() { timeout 60 "$HYPERMOUNT" core info "$1" 2>/dev/null | sed -n "s/^$2: *//p"; }

# errno_is WANT OP PATH [ARG] : a check that errno_of OP PATH [ARG] gives WANT
errno_is() {
  local want=$1; shift
  check_eq "$1 ${2#"$WORK"/}${3:+ ${3#"$WORK"/}}: $want" "$want" "$(errno_of "$@")"
}

# snapshot DIR : sha256 of every regular file in DIR, by relative path
snapshot() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }
# tree_list DIR : every path under DIR with its type letter (f, d, l), sorted
tree_list() { (cd "$1" && find . -printf '%y %p\n' | LC_ALL=C sort); }

# serve_drive KEY STORE [PORT] : starts `drive serve` on 127.0.0.1:PORT (default 0: any) in the
# background; sets SERVER_PID
# and PORT (a failure and return 1 if it does not report its port within 10 s).
serve_drive() {
  # The last server's lines must not pass for this one's: the background child truncates the
  # file only once it runs, after the wait below may have read it.
  rm -f "$WORK/serve.out" "$WORK/serve.err"
  "$HYPERMOUNT" drive serve "$1" --listen "127.0.0.1:${3:-0}" --store "$2" >"$WORK/serve.out" 2>"$WORK/serve.err" </dev/null &
  SERVER_PID=$!
  track "$SERVER_PID"
  if ! wait_until 10 grep -q '^listening on 127.0.0.1:[0-9]*$' "$WORK/serve.out"; then
    fail "drive serve did not report a port: $(head -c 300 "$WORK/serve.err")"
    return 1
  fi
  PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/serve.out")
}
