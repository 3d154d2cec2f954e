// `hypermount mount-drive DIR KEY` and `unmount-drive DIR`: drive mounts made and removed
// through a running FUSE mount, by the control attribute user.hypermount.mount on DIR.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/store_args.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// "\040" and friends of /proc/self/mounts back to bytes.
std::string unescape_mount_field(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    unsigned code = 0;
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::from_chars(field.data() + i + 1, field.data() + i + 4, code, 8).ptr == field.data() + i + 4) {
      out.push_back(static_cast<char>(code));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// Whether the existing folder `dir` lies in a hypermount FUSE mount: the deepest mount point
// holding it (/proc/self/mounts) has the type fuse.hypermount.
bool inside_hypermount(const std::string& dir) {
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) == nullptr) return false;
  std::string path = resolved;
  std::ifstream mounts("/proc/self/mounts");
  std::string line, best_type;
  size_t best = 0;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, point, type;
    if (!(fields >> device >> point >> type)) continue;
    point = unescape_mount_field(point);
    bool holds = point == "/" || path == point || path.starts_with(point + "/");
    if (holds && point.size() >= best) {
      best = point.size();
      best_type = type;
    }
  }
  return best_type == "fuse.hypermount";
}

int not_in_mount(const std::string& dir) {
  fmt::print(stderr, "hypermount: {} is not inside a hypermount mount\n", dir);
  return kExitUsage;
}

int cmd_mount_drive(Args args) {
  if (args.size() != 2) return usage_error(mount_drive_commands()[0]);
  auto source = parse_drive_source(args[1]);
  if (!source) return report(source.error());
  std::string dir(args[0]);
  std::string parent = std::filesystem::path(dir).parent_path().string();
  if (!inside_hypermount(parent.empty() ? "." : parent)) return not_in_mount(dir);
  std::string url = drive::format_drive_url(source->key, source->version);
  bool made = ::mkdir(dir.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return failed("cannot create", dir, errno);
  if (::setxattr(dir.c_str(), kMountAttr, url.data(), url.size(), 0) != 0) {
    int err = errno;
    if (made) ::rmdir(dir.c_str());
    return failed("cannot mount a drive at", dir, err);
  }
  return kExitOk;
}

int cmd_unmount_drive(Args args) {
  if (args.size() != 1) return usage_error(mount_drive_commands()[1]);
  std::string dir(args[0]);
  if (!inside_hypermount(dir)) return not_in_mount(dir);
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
