// The KEY[+VERSION][/PATH] argument of export, import and sync: a drive address (hex,
// hyper://, dat://) with a path in the drive after it. Main thread.
#pragma once

#include "drive/drive_url.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace hypermount::cli {

struct DrivePath {
  drive::DriveUrl drive;
  std::string path = "/";  // absolute in the drive
};

// InvalidArgument naming what is wrong; a local file or folder given where a key belongs is
// said to be one.
Result<DrivePath> parse_drive_path(std::string_view text);

}  // namespace hypermount::cli
