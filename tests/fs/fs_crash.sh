#!/usr/bin/env bash
# kill -9 of the mount process while files are open: after fusermount3 -uz the store reopens (drive ls,
# cat, core verify), everything fsynced or closed is complete, an unsynced write is all-or-nothing.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
MNT=$WORK/mnt
new_drive "$S1"
head -c $((1024 * 1024 + 123)) /dev/urandom >"$WORK/synced.src"
for i in $(seq 2000); do echo "old line $i, committed before the mount"; done >"$WORK/old.src"
hm_ok drive put "$K" /old.txt "$WORK/old.src" --store "$S1"
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

# reopened STEP : after a crash and a lazy unmount, the store opens: drive ls, and core verify of
# every core in it
reopened() {
  hm drive ls "$K" / --store "$S1"
  check_eq "$1: drive ls / opens the store ($(msg))" 0 "$RC"
  local dir
  for dir in $(core_dirs "$S1"); do
    hm core verify "$dir"
    check_eq "$1: core verify $(core_field "$dir" key | cut -c1-8) ($(msg))" 0 "$RC"
  done
}
# dead_mount_cleared STEP PID : PID is gone, the mount point says ENOTCONN, fusermount3 -uz clears it
dead_mount_cleared() {
  check "$1: the mount process is gone after kill -9" wait_until 10 pid_gone "$2"
  check_eq "$1: the dead mount point gives ENOTCONN" "ENOTCONN" "$(errno_of stat "$MNT")"
  check "$1: fusermount3 -uz" timeout 20 fusermount3 -uz "$MNT"
  check "$1: nothing left in /proc/mounts" wait_until 10 bash -c "! grep -q ' $MNT fuse' /proc/mounts"
}

# --- 1: a daemonised mount killed with files open: synced, closed, and unsynced ones
mount_drive "$K" "$MNT" "store=$S1"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
MPID=$(mount_pid "$MNT")
[ -n "$MPID" ] || { fail "no mount process found for $MNT"; finish; }
track "$MPID"
timeout 60 python3 - "$MNT" "$WORK" >"$WORK/writer.out" 2>"$WORK/writer.err" <<'EOF' &
import os, sys, time
mnt, work = sys.argv[1], sys.argv[2]
synced = open(os.path.join(work, "synced.src"), "rb").read()
def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]
# written, fsynced, closed
fd = os.open(os.path.join(mnt, "synced-closed.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
write_all(fd, synced); os.fsync(fd); os.close(fd)
# written, fsynced, still open (more written after the fsync, never synced)
fd_open = os.open(os.path.join(mnt, "synced-open.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
write_all(fd_open, synced); os.fsync(fd_open)
write_all(fd_open, b"tail written after the fsync\n")
# a committed file rewritten in place, not synced
fd_old = os.open(os.path.join(mnt, "old.txt"), os.O_WRONLY)
write_all(fd_old, b"NEW CONTENT, NEVER SYNCED\n" * 100)
# a new file, written, not synced
fd_new = os.open(os.path.join(mnt, "unsynced.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
write_all(fd_new, synced)
print("ready", flush=True)
time.sleep(50)
EOF
WPID=$!
track "$WPID"
check "the writer got its files written" wait_until 30 grep -q ready "$WORK/writer.out"
kill -KILL "$MPID"
dead_mount_cleared "daemon" "$MPID"
stop_pid "$WPID"
reopened "daemon"
hm drive cat "$K" /synced-closed.bin --store "$S1"
check "a written, fsynced and closed file is complete" cmp -s "$WORK/synced.src" "$WORK/out"
hm drive cat "$K" /synced-open.bin --store "$S1"
check "a written and fsynced file still open at the kill is complete" \
  cmp -s <(head -c "$(stat -c %s "$WORK/synced.src")" "$WORK/out") "$WORK/synced.src"
check "... and holds either nothing or all of what came after its fsync" bash -c \
  "[ $(stat -c %s "$WORK/out") -eq $(stat -c %s "$WORK/synced.src") ] ||
   cmp -s '$WORK/out' <(cat '$WORK/synced.src'; echo 'tail written after the fsync')"
hm drive cat "$K" /old.txt --store "$S1"
check "a committed file rewritten without fsync is whole: all old or all new" bash -c \
  "cmp -s '$WORK/old.src' '$WORK/out' ||
   cmp -s '$WORK/out' <(python3 -c 'import sys; sys.stdout.buffer.write(b\"NEW CONTENT, NEVER SYNCED\\n\" * 100 + open(sys.argv[1], \"rb\").read()[2600:])' '$WORK/old.src')"
hm drive cat "$K" /unsynced.bin --store "$S1"
unsynced_rc=$RC
check "an unsynced new file is absent, empty or complete (exit $unsynced_rc, $(stat -c %s "$WORK/out") bytes)" bash -c \
  "[ $unsynced_rc -eq 3 ] || { [ $unsynced_rc -eq 0 ] && { [ ! -s '$WORK/out' ] || cmp -s '$WORK/out' '$WORK/synced.src'; }; }"

# the store is writable again: a new mount writes and reads
mount_drive "$K" "$MNT" "store=$S1"
check_eq "remount after the crash exits 0 ($(msg))" 0 "$RC"
check "write a file after the crash" timeout 60 cp "$WORK/synced.src" "$MNT/after-crash.bin"
check "read it back" cmp -s "$WORK/synced.src" "$MNT/after-crash.bin"
check "the fsynced file reads through the new mount" cmp -s "$WORK/synced.src" "$MNT/synced-closed.bin"
unmount_checked "$MNT"

# --- 2: a -f mount killed in the middle of a stream of writes, each fsynced then logged locally
mount_fg "$K" "$MNT" "store=$S1" || finish
timeout 120 python3 - "$MNT" "$WORK/stream.log" >/dev/null 2>"$WORK/stream.err" <<'EOF' &
import hashlib, os, random, sys
mnt, log_path = sys.argv[1], sys.argv[2]
log = open(log_path, "a")
os.makedirs(os.path.join(mnt, "stream"), exist_ok=True)
for i in range(100000):
    data = random.Random(i).randbytes(4096 + (i * 7919) % 300000)
    name = "stream/f%05d.bin" % i
    fd = os.open(os.path.join(mnt, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)
    os.close(fd)
    log.write("%s  /%s\n" % (hashlib.sha256(data).hexdigest(), name))
    log.flush(); os.fsync(log.fileno())
EOF
SPID=$!
track "$SPID"
wait_until 30 test -s "$WORK/stream.log" || fail "the stream writer wrote nothing in 30 s: $(head -c 300 "$WORK/stream.err")"
sleep 1.5
kill -KILL "$MPID"
dead_mount_cleared "stream" "$MPID"
stop_pid "$SPID"
reopened "stream"
total=$(wc -l <"$WORK/stream.log")
check "the stream wrote several files before the kill ($total)" test "$total" -ge 3
bad=0
while read -r sum path; do
  hm drive cat "$K" "$path" --store "$S1"
  [ "$RC" -eq 0 ] && [ "$(sha256sum <"$WORK/out" | cut -d' ' -f1)" == "$sum" ] || { bad=$((bad + 1)); echo "       $path: exit $RC"; }
done <"$WORK/stream.log"
check_eq "every fsynced file of the stream is complete after the crash ($total files)" 0 "$bad"
finish
