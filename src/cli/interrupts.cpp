#include "cli/interrupts.hpp"

#include <csignal>
#include <initializer_list>

namespace hypermount::cli {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
}  // namespace

void catch_interrupts() {
  struct sigaction action = {};
  action.sa_handler = [](int) { g_interrupted = 1; };
  sigemptyset(&action.sa_mask);
  for (int signum : {SIGINT, SIGTERM}) sigaction(signum, &action, nullptr);
}

bool interrupted() { return g_interrupted != 0; }
void set_interrupted() { g_interrupted = 1; }

}  // namespace hypermount::cli
