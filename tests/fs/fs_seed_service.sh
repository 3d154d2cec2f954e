#!/usr/bin/env bash
# hypermount as a service: `hypermount seed` tells a notification socket made here READY=1 only
# once its port accepts connections (and STATUS=/STOPPING=1); `seed --add`/`--remove` change the
# store's seeding set while it runs (a reader mounts the added drive; the removed one is no longer
# served); the set survives a restart; logfiles get timestamped lines and no key, and SIGHUP
# reopens them (mv the log, HUP, new lines in the new file) in the seeder and in a mount, which
# stays mounted; a -f mount tells an abstract notification socket READY=1 once mounted; the
# installed systemd units pass systemd-analyze verify. Loopback only: no DHT, no mDNS.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
T="timeout 60"
S=$WORK/S  # the seeder's store

# notify_socket ADDRESS LOG [CHECK ARG] : starts a notification socket (notify_socket.py)
notify_socket() {
  python3 "$HERE/notify_socket.py" "$@" </dev/null &
  track $!
  wait_until 10 grep -qsx bound "$2" || { fail "the notification socket $1 did not start"; finish; }
}
# start_seed OUT ARGS... : seed on 127.0.0.1:0 in the background with S, output in OUT(.err);
# sets SEED and PORT once it listens
start_seed() {
  local out=$1; shift
  "$HYPERMOUNT" seed "$@" --store "$S" --listen 127.0.0.1:0 --bootstrap none --mdns off >"$out" 2>"$out.err" </dev/null &
  SEED=$!
  track $SEED
}
seed_port() {
  wait_until 20 grep -q '^listening on 127\.0\.0\.1:[0-9]*$' "$1" || { fail "seed did not listen: $(head -c 300 "$1.err")"; finish; }
  PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1")
}
# short_dk KEY : the first 4 bytes of the discovery key, in hex (BLAKE2b-256 of "hypercore" keyed by KEY)
# daemon_of DIR : the PID of the daemonised `hypermount -d mount SOURCE DIR` (mount_pid without -d)
daemon_of() {
  local dir argv
  for dir in /proc/[0-9]*; do
    mapfile -d '' argv <"$dir/cmdline" 2>/dev/null || continue
    [ "${argv[0]:-}" == "$HYPERMOUNT" ] && [ "${argv[2]:-}" == mount ] && [ "${argv[4]:-}" == "$1" ] && echo "${dir#/proc/}"
  done
}
short_dk() { python3 -c "import hashlib, sys; print(hashlib.blake2b(b'hypercore', digest_size=32, key=bytes.fromhex(sys.argv[1])).hexdigest()[:8])" "$1"; }

# Two drives in the seeder's store, each with two files.
mkdir -p "$WORK/src"
for n in 1 2; do
  hm_ok drive create --store "$S" --name "drive$n"
  K=$(head -n1 "$WORK/out")
  printf 'drive %s, first file\n' "$n" >"$WORK/src/a$n"
  printf 'drive %s, second file\n' "$n" >"$WORK/src/b$n"
  hm_ok drive put "$K" /a.txt "$WORK/src/a$n" --store "$S"
  hm_ok drive put "$K" /b.txt "$WORK/src/b$n" --store "$S"
  eval "K$n=$K"
done
[ "$FAILS" -eq 0 ] || finish
DK1=$(short_dk "$K1")
DK2=$(short_dk "$K2")

echo "# READY=1 once the seeder accepts connections"
notify_socket "$WORK/notify.sock" "$WORK/notify.log" --port-from "$WORK/seed1.out"
NOTIFY_SOCKET=$WORK/notify.sock start_seed "$WORK/seed1.out" "$K1"
seed_port "$WORK/seed1.out"
wait_until 20 grep -qx READY=1 "$WORK/notify.log" || fail "no READY=1: $(cat "$WORK/notify.log" "$WORK/seed1.out.err" | head -c 300)"
check "a connection to the seeder's port succeeds when READY=1 arrives ($(grep '^check' "$WORK/notify.log"))" \
  grep -q '^check ok: connected' "$WORK/notify.log"
check "STATUS= says what it seeds" grep -q '^STATUS=seeding 1 drive on port' "$WORK/notify.log"
check_eq "the store remembers the seeded drive" "$K1" "$(cat "$S/seeding")"

echo "# seed --add while it runs: a reader fetches the added drive"
hm_ok seed --add "hyper://$K2" --store "$S"
check "seed --add says the set has two drives ($(msg))" grep -qx "2 drives in the seeding set" "$WORK/out"
wait_until 20 grep -qx "$DK2: seeded" "$WORK/seed1.out" ||
  fail "the seeder did not pick up the added drive: $(cat "$WORK/seed1.out")"
mount_drive "hyper://$K2" "$WORK/m2" "store=$WORK/R2,peer=127.0.0.1:$PORT,fetch_timeout=20"
check_eq "the reader of the added drive mounts ($(msg))" 0 "$RC"
check_eq "and reads it" "drive 2, first file" "$($T cat "$WORK/m2/a.txt")"
check "the seeder says a peer connected over tcp, protocol 8" grep -q "^peer connected over tcp, protocol 8" "$WORK/seed1.out"
wait_until 10 grep -q '^STATUS=seeding 2 drives' "$WORK/notify.log" || fail "no STATUS= with two drives"

echo "# seed --remove while it runs: the removed drive is no longer served"
hm_ok seed --remove "$K1" --store "$S"
wait_until 20 grep -q "^$DK1: no longer seeded$" "$WORK/seed1.out" || fail "the seeder did not drop the removed drive: $(cat "$WORK/seed1.out")"
mount_drive "hyper://$K1" "$WORK/m1" "store=$WORK/R1,peer=127.0.0.1:$PORT,fetch_timeout=3"
if [ "$RC" -eq 0 ]; then
  check "a reader of the removed drive gets nothing" bash -c "! timeout 30 cat '$WORK/m1/a.txt' >/dev/null 2>&1"
  unmount_checked "$WORK/m1"
else
  pass "a reader of the removed drive cannot mount it (exit $RC: $(msg | head -c 120))"
fi
check_eq "the kept drive still reads after the seeder dropped its peers" "drive 2, second file" "$($T cat "$WORK/m2/b.txt")"
check_eq "the store's set is the kept drive" "$K2" "$(cat "$S/seeding")"
kill -TERM "$SEED"
wait_until 20 pid_gone "$SEED" || fail "seed did not stop on SIGTERM"
check "STOPPING=1 on SIGTERM" grep -qx STOPPING=1 "$WORK/notify.log"
check "and it says what it uploaded" grep -q "^stopped: [1-9][0-9]* blocks ([1-9][0-9]* bytes) uploaded" "$WORK/seed1.out"

echo "# the set survives a restart; the log file: timestamps, no keys, reopened on SIGHUP"
start_seed "$WORK/seed2.out" --logfile "$WORK/seed.log"
wait_until 20 grep -qs ' hypermount\[seed\] info: listening on 127\.0\.0\.1:[0-9]*$' "$WORK/seed.log" ||
  fail "the restarted seeder logged no port: $(head -c 300 "$WORK/seed2.out.err")"
PORT=$(sed -n 's/^.* hypermount\[seed\] info: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/seed.log")
check_eq "after a restart with no key, it seeds the remembered drive only" "$DK2" \
  "$(sed -n 's/^.* hypermount\[seed\] info: \([0-9a-f]*\): seeded$/\1/p' "$WORK/seed.log" | tr '\n' ' ' | sed 's/ $//')"
check_eq "nothing on standard output with a logfile" "" "$(cat "$WORK/seed2.out")"
check "every line of the log starts with a timestamp" \
  bash -c "! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} hypermount\[' '$WORK/seed.log'"
mv "$WORK/seed.log" "$WORK/seed.log.1"
kill -HUP "$SEED"
hm_ok seed --add "$K1" --store "$S"
wait_until 20 grep -q "$DK1: seeded" "$WORK/seed.log" || fail "no new line in the reopened log: $(cat "$WORK/seed.log" 2>&1 | head -c 300)"
check "the moved log got no line since" bash -c "! grep -q '$DK1: seeded' '$WORK/seed.log.1'"
check "the seeder is still running after SIGHUP" kill -0 "$SEED"

echo "# a mount's logfile: reopened on SIGHUP, still mounted"
unmount_checked "$WORK/m2"
"$HYPERMOUNT" -d mount "hyper://$K2" "$WORK/m2" -o "$(lan_off "store=$WORK/R3,peer=127.0.0.1:$PORT,logfile=$WORK/mount.log")" >"$WORK/out" 2>"$WORK/err" </dev/null
check_eq "a daemonised mount with logfile= (debug level) exits 0 ($(msg))" 0 "$?"
check_eq "it reads" "drive 2, first file" "$($T cat "$WORK/m2/a.txt")"
check "its log has timestamped lines" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]{12} hypermount\[' "$WORK/mount.log"
mv "$WORK/mount.log" "$WORK/mount.log.1"
kill -HUP "$(daemon_of "$WORK/m2")"
wait_until 10 test -e "$WORK/mount.log" || fail "SIGHUP did not reopen the mount's log"
check_eq "a read after SIGHUP" "drive 2, second file" "$($T cat "$WORK/m2/b.txt")"
check "the mount is still mounted after SIGHUP" is_mounted "$WORK/m2"
wait_until 10 test -s "$WORK/mount.log" || fail "no line in the mount's reopened log"
unmount_checked "$WORK/m2"
for log in "$WORK/seed.log" "$WORK/seed.log.1" "$WORK/mount.log.1" "$WORK/mount.log"; do
  for key in "$K1" "$K2"; do
    check "no key in $(basename "$log")" bash -c "! grep -qi '${key:0:16}' '$log'"
  done
done

echo "# a -f mount tells an abstract notification socket READY=1 once mounted"
ABSTRACT="@hm-notify-$$-$RANDOM"
notify_socket "$ABSTRACT" "$WORK/notify-mount.log" --mounted "$WORK/m3"
mkdir -p "$WORK/m3"
MOUNTS+=("$WORK/m3")
NOTIFY_SOCKET=$ABSTRACT "$HYPERMOUNT" mount "hyper://$K2" "$WORK/m3" -f -o "$(lan_off "store=$WORK/R3,peer=127.0.0.1:$PORT")" \
  >"$WORK/m3.out" 2>"$WORK/m3.err" </dev/null &
MPID=$!
track $MPID
wait_until 20 grep -qx READY=1 "$WORK/notify-mount.log" || fail "the mount sent no READY=1: $(head -c 300 "$WORK/m3.err")"
check "the folder is mounted when READY=1 arrives" grep -qx "check ok: mounted" "$WORK/notify-mount.log"
timeout 20 fusermount3 -u "$WORK/m3"
wait_until 20 pid_gone "$MPID" || fail "the -f mount did not exit after fusermount3 -u"
check "STOPPING=1 when unmounted" grep -qx STOPPING=1 "$WORK/notify-mount.log"

echo "# the installed systemd units"
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: systemd-analyze is not installed"
elif [ -z "${HM_UNITS:-}" ]; then
  echo "skipped: HM_UNITS (the configured units' folder) is not set"
else
  # As installed, but ExecStart runs the binary under test (verify wants it to exist).
  mkdir -p "$WORK/units"
  for unit in hypermount-seed.service hypermount-mount@.service; do
    sed "s|^ExecStart=[^ ]*/hypermount |ExecStart=$HYPERMOUNT |" "$HM_UNITS/$unit" >"$WORK/units/$unit"
  done
  cp "$WORK/units/hypermount-mount@.service" "$WORK/units/hypermount-mount@mnt-drive.service"
  # --man=no: Documentation= names hypermount(1), which is not installed here
  (cd "$WORK/units" && timeout 60 systemd-analyze verify --man=no hypermount-seed.service hypermount-mount@mnt-drive.service) \
    >"$WORK/verify.out" 2>&1
  check "systemd-analyze verify passes ($(head -c 400 "$WORK/verify.out"))" test "$?" -eq 0 -a ! -s "$WORK/verify.out"
fi
finish
