#include "cli/folder_import.hpp"

#include "cli/interrupts.hpp"
#include "drive/bulk_writer.hpp"
#include "drive/posix_stat.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

namespace hypermount::cli {

namespace {

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

// The extended attributes of `path` (not followed), but the system.* ones (POSIX ACLs and the
// like, which a drive does not carry).
Status read_xattrs(const std::string& path, drive::Stat& stat) {
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) return errno == ENOTSUP ? Status{} : Status(Error::io(errno, "listing the attributes of {}", path));
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return Error::io(errno, "listing the attributes of {}", path);
  names.resize(static_cast<size_t>(size));
  for (size_t at = 0; at < names.size();) {
    std::string name(names.c_str() + at);
    at += name.size() + 1;
    if (name.empty() || name.starts_with("system.")) continue;
    ssize_t length = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (length < 0) return Error::io(errno, "reading attribute {} of {}", name, path);
    Bytes value(static_cast<size_t>(length));
    length = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (length < 0) return Error::io(errno, "reading attribute {} of {}", name, path);
    value.resize(static_cast<size_t>(length));
    stat.set_xattr(name, std::move(value));
  }
  return {};
}

// The Stat of the local entry `path` as a drive keeps it (content fields left to the writer).
Result<drive::Stat> stat_of(const std::string& path, const struct stat& st) {
  drive::Stat stat;
  stat.mode = st.st_mode;
  stat.uid = st.st_uid;
  stat.gid = st.st_gid;
  stat.mtime_ms = drive::timespec_to_ms(st.st_mtim);
  stat.ctime_ms = drive::timespec_to_ms(st.st_ctim);
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return Error::io(errno, "reading the symlink {}", path);
    target.resize(static_cast<size_t>(n));
    stat.linkname = std::move(target);
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    stat.device = drive::DeviceNumber{major(st.st_rdev), minor(st.st_rdev)};
  }
  HM_TRY(read_xattrs(path, stat));
  return stat;
}

// The regular files below `path` (not followed) and their bytes, for the progress bar's total.
void count_files(const std::string& path, uint64_t& bytes, uint64_t& files) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    bytes += static_cast<uint64_t>(st.st_size);
    ++files;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") count_files(join(path, name), bytes, files);
  }
  ::closedir(dir);
}

class FolderImport {
 public:
  FolderImport(drive::Drive& drive, const ImportOptions& options, Progress& progress)
      : drive_(drive), writer_(drive), options_(options), progress_(progress) {}

  Status entry(const std::string& path, const std::string& at) {
    if (interrupted()) return Error{Errc::Cancelled, "interrupted"};
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return Error::io(errno, "reading {}", path);
    HM_TRY_ASSIGN(drive::Stat stat, stat_of(path, st));
    if (S_ISREG(st.st_mode)) return file(path, at, st, std::move(stat));
    if (at != "/") HM_TRY(writer_.add_entry(at, stat));
    if (S_ISDIR(st.st_mode)) return folder(path, at);
    return {};
  }

  Status flush() { return writer_.flush(); }

 private:
  Status folder(const std::string& path, const std::string& at) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return Error::io(errno, "opening the folder {}", path);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(dir)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) HM_TRY(entry(join(path, name), join(at, name)));
    return {};
  }

  Status file(const std::string& path, const std::string& at, const struct stat& st, drive::Stat stat) {
    const auto size = static_cast<uint64_t>(st.st_size);
    if (options_.skip_unchanged && unchanged(at, stat, size)) {
      done_bytes_ += size;
      progress_.update(done_bytes_, ++done_files_);
      return {};
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Error::io(errno, "opening {}", path);
    auto read = [fd, &path](uint64_t offset, std::span<uint8_t> into) -> Status {
      for (size_t got = 0; got < into.size();) {
        ssize_t n = ::pread(fd, into.data() + got, into.size() - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::io(errno, "reading {}", path);
        if (n == 0) return Error::invalid("{} shrank while it was read", path);
        got += static_cast<size_t>(n);
      }
      return {};
    };
    Status written = writer_.add_file(at, size, read, std::move(stat));
    ::close(fd);
    HM_TRY(written);
    done_bytes_ += size;
    progress_.update(done_bytes_, ++done_files_);
    return {};
  }

  bool unchanged(const std::string& at, const drive::Stat& local, uint64_t size) {
    auto now = drive_.lstat(at);
    return now && now->is_file() && !now->mount && now->size == size && now->mtime_ms == local.mtime_ms &&
           (now->mode & 07777) == (local.mode & 07777);
  }

  drive::Drive& drive_;
  drive::BulkWriter writer_;
  const ImportOptions& options_;
  Progress& progress_;
  uint64_t done_bytes_ = 0;
  uint64_t done_files_ = 0;
};

}  // namespace

Status import_folder(drive::Drive& drive, const std::string& dir, std::string_view at,
                     const ImportOptions& options, Progress& progress) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Error::io(errno, "reading {}", dir);
  if (!S_ISDIR(st.st_mode)) return Error{Errc::NotDir, fmt::format("{} is not a folder", dir)};
  // The total first (a walk of the inodes alone), so that the bar can say how far it is.
  uint64_t bytes = 0;
  uint64_t files = 0;
  count_files(dir, bytes, files);
  progress.set_total(bytes, files);
  FolderImport import(drive, options, progress);
  Status walked = import.entry(dir, std::string(at));
  // What was read before an interruption or a failure is kept: a rerun continues.
  Status flushed = import.flush();
  HM_TRY(walked);
  return flushed;
}

}  // namespace hypermount::cli
