# CPU time of benchmarked processes, printed beside a figure to say where its time went. Sourced
# by bench/ scripts.
# shellcheck shell=bash

# cpu_seconds PID : the CPU seconds (user + system, all threads) that PID and its children have
# used so far
cpu_seconds() {
  local p ticks total=0
  for p in "$1" $(pgrep -P "$1"); do
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + ticks))
  done
  python3 -c "import os, sys; print('%.2f' % (int(sys.argv[1]) / os.sysconf('SC_CLK_TCK')))" "$total"
}

# run_cpu COMMAND... : runs COMMAND, then prints on a line of its own (the last) its wall seconds
# and the CPU seconds it and its children used; fails as COMMAND does
run_cpu() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
code = subprocess.run(sys.argv[1:]).returncode
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print('%.2f %.2f' % (wall, r.ru_utime + r.ru_stime))
sys.exit(code)
PY
}

# cpu_over PID COMMAND... : runs COMMAND in this shell (the variables it sets stay set) and sets
# CPU_OVER to the CPU seconds PID and its children used meanwhile; returns COMMAND's status
cpu_over() {
  local pid=$1 before rc=0
  shift
  before=$(cpu_seconds "$pid")
  "$@" || rc=$?
  # shellcheck disable=SC2034 # read by the scripts that source this
  CPU_OVER=$(minus "$(cpu_seconds "$pid")" "$before")
  return "$rc"
}

# minus A B : A - B, to the hundredth
minus() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }
