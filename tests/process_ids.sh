# Remembering the processes a script started so that it never signals a stale PID (pid_max is
# 32768 here and the suites start thousands of processes). Sourced by tests/fs and bench/.
# shellcheck shell=bash

# start_of PID : when process PID started (field 22 of /proc/PID/stat); empty if there is none
start_of() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  # shellcheck disable=SC2086  # the fields, split
  set -- ${stat##*)}
  echo "${20}"
}

# track PID : remembers PID with its start time in PIDS, to be stopped at exit unless by then
# the number names another process
track() { PIDS+=("$1:$(start_of "$1")"); }
