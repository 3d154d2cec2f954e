// `hypermount mount-drive DIR KEY` and `unmount-drive DIR`: drive mounts made and removed
// through a running FUSE mount, by the control attribute user.hypermount.mount on DIR.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/store_args.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hypermount::cli {

namespace {

constexpr const char* kMountAttr = "user.hypermount.mount";

int failed(std::string_view what, const std::string& dir, int err) {
  fmt::print(stderr, "hypermount: {} {}: {}\n", what, dir, std::strerror(err));
  switch (err) {
    case ENOENT: return kExitNotFound;
    case EROFS: return kExitReadOnly;
    case ENOTSUP: return kExitUsage;
    default: return kExitError;
  }
}

int cmd_mount_drive(Args args) {
  if (args.size() != 2) return usage_error(mount_drive_commands()[0]);
  auto source = parse_drive_source(args[1]);
  if (!source) return report(source.error());
  std::string dir(args[0]);
  std::string url = fmt::format("hyper://{}{}", to_hex(source->key),
                                source->version ? fmt::format("+{}", *source->version) : "");
  bool made = ::mkdir(dir.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return failed("cannot create", dir, errno);
  if (::setxattr(dir.c_str(), kMountAttr, url.data(), url.size(), 0) != 0) {
    int err = errno;
    if (made) ::rmdir(dir.c_str());
    if (err == ENOTSUP) {
      fmt::print(stderr, "hypermount: {} is not inside a hypermount mount\n", dir);
      return kExitUsage;
    }
    return failed("cannot mount a drive at", dir, err);
  }
  return kExitOk;
}

int cmd_unmount_drive(Args args) {
  if (args.size() != 1) return usage_error(mount_drive_commands()[1]);
  std::string dir(args[0]);
  if (::removexattr(dir.c_str(), kMountAttr) != 0) {
    if (errno == ENODATA || errno == ENOTSUP) {
      fmt::print(stderr, "hypermount: {} is not a drive mount point in a hypermount mount\n", dir);
      return kExitUsage;
    }
    return failed("cannot unmount the drive at", dir, errno);
  }
  return kExitOk;
}

constexpr Command kMountDriveCommands[] = {
    {"", "mount-drive", "DIR KEY|hyper://KEY[+VERSION]",
     "inside a read-write mount: mount another drive at DIR (created if missing; it must be an "
     "empty directory)", cmd_mount_drive},
    {"", "unmount-drive", "DIR", "inside a read-write mount: remove the drive mount at DIR",
     cmd_unmount_drive},
};

}  // namespace

std::span<const Command> mount_drive_commands() { return kMountDriveCommands; }

}  // namespace hypermount::cli
