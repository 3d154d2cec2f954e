// After a process has begun to stop on SIGINT/SIGTERM/SIGHUP, further ones are ignored, so a
// repeated signal (timeout(1) and systemd signal the child and then its group) cannot cut the shutdown short.
#pragma once

namespace hypermount::cli {

// Call after the loop's uv_signal_t handles are closed: closing the last one restores the
// default action (death), which this replaces with "ignore" for the rest of the process.
void ignore_stop_signals();

// What SIGHUP does: a process logging to a file opens its path again (logrotate or mv moved it
// away) and goes on; one logging to a terminal stops, as that terminal hung up; any other (syslog,
// stderr to the journal or a pipe) goes on. True when the caller should stop.
bool hangup_stops();

}  // namespace hypermount::cli
