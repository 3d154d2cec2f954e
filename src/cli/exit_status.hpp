// The exit statuses of the hypermount command (documented in man/hypermount.1, EXIT STATUS)
// and the mapping from an Error to one of them. Any thread.
#pragma once

#include "util/result.hpp"

namespace hypermount::cli {

enum ExitStatus : int {
  kExitOk = 0,
  kExitError = 1,     // anything not listed below
  kExitUsage = 2,     // bad command line
  kExitNotFound = 3,  // no such folder, core, block or path
  kExitCorrupt = 4,   // verification failed, a file does not parse
  kExitReadOnly = 5,  // a write needs a secret key we do not have
  kExitIncomplete = 6,  // sync, import, export: not everything arrived (interrupted, no peer had it)
};

int exit_status_for(const Error& error);

// Prints "hypermount: <error>" to stderr and returns its exit status.
int report(const Error& error);

}  // namespace hypermount::cli
