#!/usr/bin/env bash
# Ways a mount ends: fusermount3 -u, umount, SIGTERM/SIGINT to the mount process (run with -f in
# the background, so $! is its PID), and SIGTERM to a daemonised mount. Each leaves nothing in
# /proc/mounts, and the process exits 0 without logging an error.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
new_drive "$S1"
echo "unmount me" | timeout 60 "$HYPERMOUNT" drive put "$K" /f.txt --store "$S1" || fail "drive put"

# fg_mount NAME : mounts with -f in the background at $WORK/NAME; sets MPID; false if not mounted
fg_mount() {
  mount_fg "$K" "$WORK/$1" "store=$S1" || return 1
  check_eq "$1: the mount serves the file" "unmount me" "$(timeout 20 cat "$WORK/$1/f.txt")"
}

# ended NAME : the -f mount process $MPID exits 0 within 10 s, with nothing mounted and no error logged
ended() {
  local mnt=$WORK/$1 rc
  if ! wait_until 10 pid_gone "$MPID"; then fail "$1: the mount process is still running after 10 s"; return; fi
  wait "$MPID"; rc=$?
  check_eq "$1: the mount process exits 0" 0 "$rc"
  check "$1: nothing left in /proc/mounts" bash -c "! grep -q ' $mnt ' /proc/mounts"
  check "$1: no error logged ($(grep -i error "$WORK/$1.err" | head -c 200))" \
    bash -c "! grep -qi error '$WORK/$1.err'"
  check "$1: the mount point is an empty folder again" test -z "$(ls -A "$mnt")"
}

if fg_mount by-fusermount; then
  check "by-fusermount: fusermount3 -u succeeds" timeout 20 fusermount3 -u "$WORK/by-fusermount"
  ended by-fusermount
fi
if fg_mount by-umount; then
  check "by-umount: umount succeeds" timeout 20 umount "$WORK/by-umount"
  ended by-umount
fi
if fg_mount by-sigterm; then
  kill -TERM "$MPID"
  ended by-sigterm
fi
if fg_mount by-sigint; then
  kill -INT "$MPID"
  ended by-sigint
fi
# SIGTERM while a file is open in the mount: the process still ends and unmounts
if fg_mount busy-sigterm; then
  exec 7<"$WORK/busy-sigterm/f.txt"
  kill -TERM "$MPID"
  if wait_until 10 pid_gone "$MPID"; then
    exec 7<&-
    ended busy-sigterm
  else
    exec 7<&-
    fail "busy-sigterm: the mount process is still running 10 s after SIGTERM with a file open"
  fi
fi

# a daemonised mount: its PID is the hypermount process whose argv names this mount point exactly
DMNT=$WORK/daemon
mount_drive "$K" "$DMNT" "store=$S1,logfile=$WORK/daemon.log"
check_eq "daemon: mount exits 0 ($(msg))" 0 "$RC"
DPID=$(mount_pid "$DMNT")
if [ -z "$DPID" ]; then
  fail "daemon: no mount process found for $DMNT"
else
  track "$DPID"
  check "daemon: the process is a session leader (setsid)" test "$(ps -o sid= -p "$DPID" | tr -d ' ')" == "$DPID"
  check_eq "daemon: the mount serves the file" "unmount me" "$(timeout 20 cat "$DMNT/f.txt")"
  kill -TERM "$DPID"
  check "daemon: the process exits after SIGTERM" wait_until 10 pid_gone "$DPID"
  check "daemon: nothing left in /proc/mounts" bash -c "! grep -q ' $DMNT ' /proc/mounts"
  check "daemon: no error in the logfile ($(grep -i error "$WORK/daemon.log" 2>/dev/null | head -c 200))" \
    bash -c "! grep -qi error '$WORK/daemon.log' 2>/dev/null"
fi
# and a daemonised mount ended by fusermount3 -u: its process goes away too
mount_drive "$K" "$DMNT" "store=$S1"
check_eq "daemon 2: mount exits 0 ($(msg))" 0 "$RC"
DPID=$(mount_pid "$DMNT")
if [ -n "$DPID" ]; then
  track "$DPID"
  check "daemon 2: fusermount3 -u succeeds" timeout 20 fusermount3 -u "$DMNT"
  check "daemon 2: the process exits after the unmount" wait_until 10 pid_gone "$DPID"
  check "daemon 2: nothing left in /proc/mounts" bash -c "! grep -q ' $DMNT ' /proc/mounts"
else
  fail "daemon 2: no mount process found for $DMNT"
fi
finish
