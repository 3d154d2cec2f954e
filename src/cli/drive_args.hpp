// Opening a drive of a store for the commands that look at or manage drives (info, versions,
// diff, list, purge, keys): key arguments with clear errors, and who holds a drive in use.
// Main thread only.
#pragma once

#include "cli/store_args.hpp"
#include "drive/drive.hpp"

#include <memory>
#include <optional>
#include <string>

namespace hypermount::cli {

// A drive key argument: hex, hyper://KEY[+VERSION] or dat://KEY. InvalidArgument naming what
// was given otherwise, saying so when it is a path of this machine.
Result<DriveSource> parse_key_arg(std::string_view text);

// The mount point of a running mount of drive `key` on this machine (from /proc/self/mounts).
std::optional<std::string> mount_point_of(const crypto::PublicKey& key);

// `error` (from opening the drive's cores) with the mount point added when the drive is held by
// a running mount; other errors unchanged.
Error explain_in_use(Error error, const crypto::PublicKey& key);

struct LocalDrive {
  std::unique_ptr<corestore::Corestore> store;
  std::unique_ptr<drive::Drive> drive;
};

// Opens drive `key` from the store folder `store_dir`, without creating anything: NotFound when
// there is no store there or it holds no such drive; Unavailable (naming the holder) when
// another process has it open.
Result<LocalDrive> open_local_drive(const std::string& store_dir, const crypto::PublicKey& key);

}  // namespace hypermount::cli
