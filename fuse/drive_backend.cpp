#include "fuse/drive_backend.hpp"

#include "drive/posix_stat.hpp"

#include <sys/stat.h>

namespace hypermount::fuse {

namespace {
// A lookup crosses at most a few dozen trie nodes; more rounds than this means no progress.
constexpr int kMaxRounds = 64;
}  // namespace

Attr attr_of(const drive::Stat& stat) {
  Attr attr;
  attr.mode = stat.mode;
  if (stat.mount && !stat.mount->hypercore) attr.mode = S_IFDIR | (stat.mode & 07777);
  attr.nlink = stat.is_directory() ? 2 : 1;
  attr.uid = stat.uid;
  attr.gid = stat.gid;
  attr.size = stat.is_file() ? stat.size : (stat.is_symlink() && stat.linkname ? stat.linkname->size() : 0);
  attr.mtime = drive::ms_to_timespec(stat.mtime_ms);
  attr.ctime = drive::ms_to_timespec(stat.ctime_ms);
  return attr;
}

template <typename T>
void DriveBackend::run(std::function<Result<T>()> attempt, Callback<T> done, int round) {
  Result<T> result = attempt();
  if (result || result.error().code() != Errc::Unavailable || !fetcher_ || round >= kMaxRounds) {
    done(std::move(result));
    return;
  }
  drive::MissingBlocks missing = drive_.missing();
  fetcher_(missing, [this, attempt = std::move(attempt), done = std::move(done), round](Status fetched) mutable {
    if (!fetched) {
      done(fetched.error());
      return;
    }
    run<T>(std::move(attempt), std::move(done), round + 1);
  });
}

void DriveBackend::lstat(std::string path, Callback<Attr> done) {
  run<Attr>([this, path]() -> Result<Attr> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    return attr_of(stat);
  }, std::move(done));
}

void DriveBackend::readdir(std::string path, Callback<std::vector<DirEntry>> done) {
  run<std::vector<DirEntry>>([this, path]() -> Result<std::vector<DirEntry>> {
    HM_TRY_ASSIGN(auto listing, drive_.readdir(path));
    std::vector<DirEntry> entries;
    entries.reserve(listing.size());
    for (auto& item : listing) entries.push_back({std::move(item.name), attr_of(item.stat)});
    return entries;
  }, std::move(done));
}

void DriveBackend::read(std::string path, uint64_t offset, size_t size, Callback<Bytes> done) {
  run<Bytes>([this, path, offset, size]() -> Result<Bytes> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    return drive_.read(stat, offset, size);
  }, std::move(done));
}

void DriveBackend::readlink(std::string path, Callback<std::string> done) {
  run<std::string>([this, path]() -> Result<std::string> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (!stat.is_symlink() || !stat.linkname) return Error::invalid("{} is not a symlink", path);
    return *stat.linkname;  // returned as stored, as a POSIX file system does
  }, std::move(done));
}

void DriveBackend::getxattr(std::string path, std::string name, Callback<Bytes> done) {
  run<Bytes>([this, path, name]() -> Result<Bytes> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    auto value = stat.xattr(name);
    if (!value) return Error::not_found("no attribute {} on {}", name, path);
    return *value;
  }, std::move(done));
}

void DriveBackend::listxattr(std::string path, Callback<std::vector<std::string>> done) {
  run<std::vector<std::string>>([this, path]() -> Result<std::vector<std::string>> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    return stat.xattr_names();
  }, std::move(done));
}

FsStats DriveBackend::statfs() {
  FsStats stats;
  stats.block_size = 4096;
  uint64_t bytes = drive_.content() ? drive_.content()->byte_length() : 0;
  stats.blocks = (bytes + stats.block_size - 1) / stats.block_size;
  stats.files = drive_.version();
  return stats;
}

}  // namespace hypermount::fuse
