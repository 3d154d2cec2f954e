#include "cli/drive_args.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace hypermount::cli {

Result<DriveSource> parse_key_arg(std::string_view text) {
  auto source = parse_drive_source(text);
  if (source) return source;
  struct stat st {};
  const std::string path(text);
  if (::stat(path.c_str(), &st) == 0 || text.find('/') != std::string_view::npos) {
    return Error::invalid("'{}' is a file path, not a drive key (a key is 64 hex digits, hyper://KEY or dat://KEY)",
                          text);
  }
  return Error::invalid("'{}' is not a drive key: give 64 hex digits, hyper://KEY[+VERSION] or dat://KEY", text);
}

std::optional<std::string> mount_point_of(const crypto::PublicKey& key) {
  // A mount's source is "hyper://" and the first 16 hex digits of its key (mount_command.cpp).
  const std::string source = "hyper://" + to_hex(key).substr(0, 16);
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, dir;
    if (fields >> device >> dir && device == source) return dir;
  }
  return std::nullopt;
}

Error explain_in_use(Error error, const crypto::PublicKey& key) {
  if (error.code() != Errc::Unavailable || error.message().find("in use by") == std::string::npos) return error;
  auto dir = mount_point_of(key);
  if (!dir) return error;
  return Error(error.code(), fmt::format("{}; the drive is mounted at {} (hypermount info {} shows it)",
                                         error.message(), *dir, *dir));
}

Result<LocalDrive> open_local_drive(const std::string& store_dir, const crypto::PublicKey& key) {
  struct stat st {};
  if (::stat(store_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error::not_found("there is no store at {}", store_dir);
  }
  LocalDrive local;
  HM_TRY_ASSIGN(local.store, corestore::Corestore::open(store_dir));
  if (!local.store->has_core(crypto::discovery_key(key))) {
    return Error::not_found("the store {} has no drive {} (hypermount list shows what it has)", store_dir,
                            short_dk(crypto::discovery_key(key)));
  }
  auto opened = drive::Drive::open(*local.store, key);
  if (!opened) return explain_in_use(opened.error(), key);
  local.drive = std::move(*opened);
  return local;
}

}  // namespace hypermount::cli
