// Copies a local folder into a writable drive (`create DIR`, `import`): every entry with its
// permissions, owner, times, symlink target and extended attributes, empty folders too, in large
// batches (drive::BulkWriter). Main thread.
#pragma once

#include "cli/progress.hpp"
#include "drive/drive.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace hypermount::cli {

struct ImportOptions {
  // Files whose entry in the drive has their size, mtime and mode already are left as they
  // are (a rerun after an interruption continues where it stopped).
  bool skip_unchanged = false;
};

// Imports the folder `dir` as the drive path `at` ("/" for the root, whose own Stat is not
// kept). Cancelled when interrupted (cli/interrupts.hpp) after writing what was done.
Status import_folder(drive::Drive& drive, const std::string& dir, std::string_view at,
                     const ImportOptions& options, Progress& progress);

}  // namespace hypermount::cli
