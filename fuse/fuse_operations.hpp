// The table of low-level FUSE request handlers; each reads its FuseMount from fuse_req_userdata.
// Loop thread only (requests are processed from the loop's poll callback).
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

namespace hypermount::fuse {

const fuse_lowlevel_ops& fuse_operations();

}  // namespace hypermount::fuse
