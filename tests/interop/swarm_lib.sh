# Shared setup for the swarm interop tests (sourced; not a test itself): the real JS hyperswarm 2
# peers of the offline harness (shared/reference/swarm), run with the node_modules installed
# from tests/interop/js-swarm's lock file. Loopback only; every port is picked by the kernel.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HM_JS_SWARM=${HM_JS_SWARM:-$HERE/js-swarm}
HM_SWARM_HARNESS=${HM_SWARM_HARNESS:-$HERE/../../../shared/reference/swarm}
[ -f "$HM_SWARM_HARNESS/probe.js" ] || skip "no swarm harness at $HM_SWARM_HARNESS (shared/ beside the repository)"
[ -d "$HM_JS_SWARM/node_modules/@hyperswarm/dht" ] || skip "no node_modules in $HM_JS_SWARM (run: cd $HM_JS_SWARM && npm ci)"
# The harness folder holds no node_modules of its own: module lookups fall back to NODE_PATH.
export NODE_PATH=$HM_JS_SWARM/node_modules
harness() { node "$HM_SWARM_HARNESS/$1" "${@:2}"; }
trap 'stop_jobs; [ -n "${HM_KEEP:-}" ] || rm -rf "$WORK"' EXIT

# start_js_bootstrap [--extra N]: a JS bootstrap node on a free port; sets JS_BOOT=127.0.0.1:PORT
start_js_bootstrap() {
  # node itself is the job (a backgrounded function would be a subshell, and stop_jobs would
  # leave its node running)
  node "$HM_SWARM_HARNESS/bootstrap.js" --port 0 "$@" >"$WORK/boot.json" 2>"$WORK/boot.err" &
  wait_for "$WORK/boot.json" '"bootstrap"' 60 || { fail "the JS bootstrap node did not start"; finish; }
  JS_BOOT=$(jget "$WORK/boot.json" 'm.bootstrap')
}

# start_hm_dht NAME ARGS...: runs `hypermount dht ARGS` in the background (output in
# $WORK/NAME.out, .err) and sets HM_PORT to the UDP port it printed.
start_hm_dht() {
  local name=$1
  shift
  "$HYPERMOUNT" dht "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  wait_for "$WORK/$name.out" 'listening on port [0-9]+' 60 || { fail "hypermount dht $* did not start"; finish; }
  HM_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$WORK/$name.out" | head -n1)
}

# start_js_seed BOOTSTRAP: a JS hyperdrive seeder announcing its drive; sets SEED_KEY,
# SEED_DKEY, SEED_PORT once its first announce round has finished.
start_js_seed() {
  node "$HM_SWARM_HARNESS/seed.js" --bootstrap "$1" >"$WORK/seed.json" 2>"$WORK/seed.err" &
  wait_for "$WORK/seed.json" '"discoveryKey"' 90 || { fail "the JS seeder did not start"; finish; }
  wait_for "$WORK/seed.err" 'announce flushed' 90 || { fail "the JS seeder did not announce"; finish; }
  SEED_KEY=$(jget "$WORK/seed.json" 'm.key')
  SEED_DKEY=$(jget "$WORK/seed.json" 'm.discoveryKey')
  SEED_PORT=$(jget "$WORK/seed.json" 'm.port')
}
