#include "cli/stop_signals.hpp"

#include <csignal>
#include <initializer_list>

namespace hypermount::cli {

void ignore_stop_signals() {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (int signum : {SIGINT, SIGTERM, SIGHUP}) sigaction(signum, &ignore, nullptr);
}

}  // namespace hypermount::cli
