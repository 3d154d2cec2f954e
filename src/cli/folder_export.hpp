// Copies a drive path into a local folder (`export`): files, folders (empty ones too),
// symlinks, FIFOs, sockets and devices (as root), with their permissions, owner (as root),
// times and extended attributes. Blocks not in the store are fetched from the session's peers.
// Main thread.
#pragma once

#include "cli/progress.hpp"
#include "node/drive_session.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace hypermount::cli {

// Exports `path` of the session's active drive as `dir`: a folder's contents go into `dir`
// (created if missing), a single entry becomes `dir`/its name. Cancelled when interrupted
// (cli/interrupts.hpp).
Status export_tree(node::DriveSession& session, std::string_view path, const std::string& dir,
                   Progress& progress);

}  // namespace hypermount::cli
