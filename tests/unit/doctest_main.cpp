// The shared doctest entry point of every unit test binary.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>

namespace {
// As in the hypermount command (src/cli/main.cpp): a write to a peer that has closed fails with
// EPIPE, an error the code handles, instead of killing the process.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();
}  // namespace
