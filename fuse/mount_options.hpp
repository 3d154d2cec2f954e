// The `-o` options of `hypermount mount` and of fstab lines: one declarative table mapping each
// option to a field of MountConfig; fstab-only options are accepted and ignored. Any thread.
#pragma once

#include "fuse/fuse_mount.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hypermount::fuse {

// Everything a mount is configured with: the FUSE side and the engine side.
struct MountConfig {
  MountOptions fuse;
  std::string store;                // store=DIR: where cores live
  std::string protocol = "auto";    // protocol=7|8|auto
  std::vector<std::string> peers;   // peer=HOST:PORT, repeatable
  std::string listen;               // listen=HOST:PORT: accept peers there (port 0: any); off
  std::string mdns = "auto";        // mdns=on|off|IPv4 of an interface; auto: on without peer=
  // bootstrap=HOST:PORT, repeatable; "none" turns the DHT off. Unset: hyperswarm 2's public
  // nodes when no peer= is given, else none.
  std::optional<std::vector<std::string>> bootstrap;
  std::optional<uint64_t> version;  // version=N: a checkout
  double fetch_timeout = 30.0;      // fetch_timeout=SECONDS before EIO
  std::string logfile;              // logfile=PATH
  bool foreground = false;
  bool ro_requested = false;        // -o ro was given: a writable drive is still mounted ro
};

// Applies a comma-separated option list ("ro,uid=1000,peer=127.0.0.1:9000") to `config`.
// InvalidArgument naming the option for anything unknown or malformed.
Status apply_mount_options(std::string_view list, MountConfig& config);

// The names the table knows, for --help and the man page test.
std::vector<std::string_view> mount_option_names();

}  // namespace hypermount::fuse
