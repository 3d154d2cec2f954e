#include "cli/stop_signals.hpp"

#include "util/log.hpp"

#include <unistd.h>

#include <csignal>
#include <initializer_list>

namespace hypermount::cli {

void ignore_stop_signals() {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (int signum : {SIGINT, SIGTERM, SIGHUP}) sigaction(signum, &ignore, nullptr);
}

bool hangup_stops() {
  if (log::on_stderr()) return ::isatty(STDERR_FILENO) == 1;
  if (auto s = log::reopen(); !s) log::error("cli", "{}", s.error().to_string());
  return false;
}

}  // namespace hypermount::cli
