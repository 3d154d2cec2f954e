#include "cli/exit_status.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace hypermount::cli {

int exit_status_for(const Error& error) {
  switch (error.code()) {
    case Errc::NotFound: return kExitNotFound;
    case Errc::Corrupt: return kExitCorrupt;
    case Errc::ReadOnly: return kExitReadOnly;
    case Errc::InvalidArgument: return kExitUsage;
    case Errc::Cancelled: return kExitIncomplete;
    default: return kExitError;
  }
}

int report(const Error& error) {
  fmt::print(stderr, "hypermount: {}\n", error.to_string());
  return exit_status_for(error);
}

}  // namespace hypermount::cli
