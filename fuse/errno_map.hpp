// The one mapping from our error codes to the errno a FUSE reply carries.
// Pure; any thread.
#pragma once

#include "util/result.hpp"

namespace hypermount::fuse {

int errno_for(const Error& error);

}  // namespace hypermount::fuse
