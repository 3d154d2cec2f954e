#include "fuse/drive_backend.hpp"

#include "drive/posix_stat.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <chrono>

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

namespace {

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string child(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

}  // namespace

Result<Attr> DriveBackend::write_content(const std::string& path, ByteView data, uint32_t mode,
                                         uint32_t uid, uint32_t gid) {
  drive::Stat stat;
  auto old = drive_.lstat(path);
  if (old) {
    if (old->is_directory()) return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
    stat = *old;
  } else if (old.error().code() == Errc::NotFound) {
    stat = drive::Stat::file(0, mode & 07777);
    stat.uid = uid;
    stat.gid = gid;
  } else {
    return old.error();
  }
  stat.mtime_ms = 0;  // write_file stamps it
  HM_TRY(drive_.write_file(path, data, stat));
  HM_TRY_ASSIGN(drive::Stat written, drive_.lstat(path));
  return attr_of(written);
}

void DriveBackend::write_file(std::string path, Bytes data, uint32_t mode, uint32_t uid, uint32_t gid,
                              Callback<Attr> done) {
  auto shared = std::make_shared<Bytes>(std::move(data));
  run<Attr>([this, path, shared, mode, uid, gid]() -> Result<Attr> {
    return write_content(path, ByteView(*shared), mode, uid, gid);
  }, std::move(done));
}

void DriveBackend::truncate(std::string path, uint64_t size, Callback<Attr> done) {
  run<Attr>([this, path, size]() -> Result<Attr> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (stat.is_directory()) return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
    if (!stat.is_file()) return Error::invalid("{} is not a regular file", path);
    HM_TRY_ASSIGN(Bytes data, drive_.read(stat, 0, static_cast<size_t>(std::min(stat.size, size))));
    data.resize(static_cast<size_t>(size), 0);
    return write_content(path, ByteView(data), 0, 0, 0);
  }, std::move(done));
}

void DriveBackend::change_attr(std::string path, AttrChange change, Callback<Attr> done) {
  run<Attr>([this, path, change]() -> Result<Attr> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (change.mode) stat.mode = stat.type() | (*change.mode & 07777);
    if (change.uid) stat.uid = *change.uid;
    if (change.gid) stat.gid = *change.gid;
    if (change.mtime) stat.mtime_ms = drive::timespec_to_ms(*change.mtime);
    stat.ctime_ms = now_ms();
    HM_TRY(drive_.put_stat(path, stat));
    return attr_of(stat);
  }, std::move(done));
}

// The attributes of the entry just made at `path`, with its owner set to the caller's.
Result<Attr> DriveBackend::owned_by(const std::string& path, uint32_t uid, uint32_t gid) {
  HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
  if (stat.uid != uid || stat.gid != gid) {
    stat.uid = uid;
    stat.gid = gid;
    HM_TRY(drive_.put_stat(path, stat));
  }
  return attr_of(stat);
}

void DriveBackend::mkdir(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, Callback<Attr> done) {
  run<Attr>([this, path, mode, uid, gid]() -> Result<Attr> {
    HM_TRY(drive_.mkdir(path, mode & 07777));
    return owned_by(path, uid, gid);
  }, std::move(done));
}

void DriveBackend::symlink(std::string target, std::string path, uint32_t uid, uint32_t gid,
                           Callback<Attr> done) {
  run<Attr>([this, target, path, uid, gid]() -> Result<Attr> {
    HM_TRY(drive_.symlink(target, path));
    return owned_by(path, uid, gid);
  }, std::move(done));
}

void DriveBackend::unlink(std::string path, Callback<void> done) {
  run<void>([this, path]() -> Status { return drive_.unlink(path); }, std::move(done));
}

void DriveBackend::rmdir(std::string path, Callback<void> done) {
  run<void>([this, path]() -> Status { return drive_.rmdir(path); }, std::move(done));
}

Status DriveBackend::move_tree(const std::string& from, const std::string& to) {
  HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(from));
  if (stat.is_directory() && !stat.mount) {
    HM_TRY_ASSIGN(auto listing, drive_.readdir(from));
    HM_TRY(drive_.put_stat(to, stat));
    for (const auto& item : listing) HM_TRY(move_tree(child(from, item.name), child(to, item.name)));
    return drive_.rmdir(from);
  }
  HM_TRY(drive_.put_stat(to, stat));
  return drive_.unlink(from);
}

void DriveBackend::rename(std::string from, std::string to, bool no_replace, Callback<void> done) {
  run<void>([this, from, to, no_replace]() -> Status {
    HM_TRY_ASSIGN(drive::Stat source, drive_.lstat(from));
    if (from == to) return {};
    if (to.size() > from.size() && to.compare(0, from.size(), from) == 0 && to[from.size()] == '/') {
      return Error::invalid("cannot move {} into itself", from);
    }
    bool source_dir = source.is_directory() && !source.mount;
    auto target = drive_.lstat(to);
    if (target) {
      if (no_replace) return Error::exists("{} exists", to);
      bool target_dir = target->is_directory() && !target->mount;
      if (target_dir) {
        if (!source_dir) return Error{Errc::IsDir, fmt::format("{} is a directory", to)};
        HM_TRY(drive_.rmdir(to));  // NotEmpty unless empty
      } else if (source_dir) {
        return Error{Errc::NotDir, fmt::format("{} is not a directory", to)};
      }
    } else if (target.error().code() != Errc::NotFound) {
      return target.error();
    }
    return move_tree(from, to);
  }, std::move(done));
}

void DriveBackend::setxattr(std::string path, std::string name, Bytes value, int flags, Callback<void> done) {
  run<void>([this, path, name, value, flags]() -> Status {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    bool exists = stat.xattr(name).has_value();
    if ((flags & XATTR_CREATE) && exists) return Error::exists("attribute {} exists on {}", name, path);
    if ((flags & XATTR_REPLACE) && !exists) return Error::not_found("no attribute {} on {}", name, path);
    stat.set_xattr(name, value);
    return drive_.put_stat(path, stat);
  }, std::move(done));
}

void DriveBackend::removexattr(std::string path, std::string name, Callback<void> done) {
  run<void>([this, path, name]() -> Status {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (!stat.remove_xattr(name)) return Error::not_found("no attribute {} on {}", name, path);
    return drive_.put_stat(path, stat);
  }, std::move(done));
}

}  // namespace hypermount::fuse
