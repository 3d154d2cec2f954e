#include "store/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace hypermount::store {

Status make_dirs(const std::string& path) {
  if (path.empty()) return {};
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::io(errno, "creating folder {}", prefix);
    }
  }
  return {};
}

Result<File> File::open(std::string path, OpenMode mode) {
  int flags = mode == OpenMode::ReadOnly ? O_RDONLY : O_RDWR;
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) return Error::io(errno, "opening {}", path);
  return File(std::move(path), mode, fd);
}

File::File(File&& other) noexcept
    : path_(std::move(other.path_)), mode_(other.mode_), fd_(other.fd_),
      permissions_(other.permissions_) {
  other.fd_ = -1;
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    mode_ = other.mode_;
    fd_ = other.fd_;
    permissions_ = other.permissions_;
    other.fd_ = -1;
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

Status File::create() {
  if (mode_ == OpenMode::ReadOnly) return Error::read_only("{} is opened read-only", path_);
  auto slash = path_.rfind('/');
  if (slash != std::string::npos) HM_TRY(make_dirs(path_.substr(0, slash)));
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, permissions_);
  if (fd_ < 0) return Error::io(errno, "creating {}", path_);
  return {};
}

Status File::make_private() {
  permissions_ = 0600;
  struct stat st {};
  if (fd_ < 0 || mode_ == OpenMode::ReadOnly) return {};
  if (::fstat(fd_, &st) != 0) return Error::io(errno, "checking {}", path_);
  if ((st.st_mode & 077) == 0) return {};
  if (::fchmod(fd_, 0600) != 0) return Error::io(errno, "making {} readable by its owner only", path_);
  return {};
}

Result<size_t> File::read(uint64_t offset, std::span<uint8_t> out) const {
  if (fd_ < 0) return size_t{0};
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::io(errno, "reading {} at byte {}", path_, offset + done);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status File::read_exact(uint64_t offset, std::span<uint8_t> out) const {
  auto n = read(offset, out);
  if (!n) return n.error();
  if (*n != out.size()) {
    return Error::corrupt("{} is truncated: wanted {} bytes at byte {}, found {}", path_,
                          out.size(), offset, *n);
  }
  return {};
}

Result<Bytes> File::read_all() const {
  auto total = size();
  if (!total) return total.error();
  Bytes bytes(*total);
  HM_TRY(read_exact(0, bytes));
  return bytes;
}

int write_at(int fd, uint64_t offset, ByteView bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

Status File::write(uint64_t offset, ByteView bytes) {
  if (fd_ < 0) HM_TRY(create());
  if (int failed = write_at(fd_, offset, bytes); failed != 0) {
    return Error::io(failed, "writing {} at byte {}", path_, offset);
  }
  return {};
}

int write_gather_at(int fd, uint64_t offset, std::span<const ByteView> pieces) {
  constexpr size_t kMaxIov = 64;
  while (!pieces.empty()) {
    iovec iov[kMaxIov];
    size_t count = std::min(pieces.size(), kMaxIov);
    size_t bytes = 0;
    for (size_t i = 0; i < count; ++i) {
      iov[i] = {const_cast<uint8_t*>(pieces[i].data()), pieces[i].size()};
      bytes += pieces[i].size();
    }
    ssize_t n = ::pwritev(fd, iov, static_cast<int>(count), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (static_cast<size_t>(n) != bytes) {
      // A short gather write: finish each piece's unwritten tail on its own.
      size_t written = static_cast<size_t>(n);
      uint64_t piece_offset = offset;
      for (size_t i = 0; i < count; ++i) {
        size_t done_here = std::min(written, pieces[i].size());
        written -= done_here;
        if (done_here < pieces[i].size()) {
          if (int failed = write_at(fd, piece_offset + done_here, pieces[i].subspan(done_here)); failed != 0) {
            return failed;
          }
        }
        piece_offset += pieces[i].size();
      }
    }
    offset += bytes;
    pieces = pieces.subspan(count);
  }
  return 0;
}

Status File::write_gather(uint64_t offset, std::span<const ByteView> pieces) {
  if (fd_ < 0) HM_TRY(create());
  if (int failed = write_gather_at(fd_, offset, pieces); failed != 0) {
    return Error::io(failed, "writing {} at byte {}", path_, offset);
  }
  return {};
}

Result<uint64_t> File::size() const {
  if (fd_ < 0) return uint64_t{0};
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Error::io(errno, "stat of {}", path_);
  return static_cast<uint64_t>(st.st_size);
}

Status File::reserve(uint64_t end) {
  HM_TRY_ASSIGN(uint64_t now, size());
  if (now >= end) return {};
  return reserve_range(now, end - now);
}

Status File::reserve_range(uint64_t offset, uint64_t length) {
  if (length == 0) return {};
  if (fd_ < 0) HM_TRY(create());
  HM_TRY_ASSIGN(uint64_t now, size());
  if (::fallocate(fd_, 0, static_cast<off_t>(offset), static_cast<off_t>(length)) == 0) return {};
  if (errno == EOPNOTSUPP) return {};
  int error = errno;
  if (offset + length > now) (void)::ftruncate(fd_, static_cast<off_t>(now));  // a failed fallocate may leave blocks behind
  return Error::io(error, "reserving {} bytes for {}", length, path_);
}

Status File::extend(uint64_t end) {
  if (fd_ < 0) HM_TRY(create());
  HM_TRY_ASSIGN(uint64_t now, size());
  if (now >= end) return {};
  if (::ftruncate(fd_, static_cast<off_t>(end)) != 0) return Error::io(errno, "growing {} to {} bytes", path_, end);
  return {};
}

Status File::grow_over_hole(uint64_t offset, uint64_t length) {
  constexpr uint64_t kPage = 4096;
  if (length == 0) return {};
  if (fd_ < 0) HM_TRY(create());
  const uint64_t end = offset + length;
  HM_TRY_ASSIGN(uint64_t now, size());
  if (now >= end) return {};
  const uint8_t zero = 0;
  HM_TRY(write(end - 1, ByteView(&zero, 1)));
  const uint64_t page = (end - 1) / kPage * kPage;
  if (page >= offset && page + kPage <= end) HM_TRY(punch_hole(page, kPage));
  return {};
}

Status File::truncate(uint64_t size_wanted) {
  HM_TRY_ASSIGN(uint64_t now, size());
  if (now <= size_wanted) return {};
  if (::ftruncate(fd_, static_cast<off_t>(size_wanted)) != 0) {
    return Error::io(errno, "truncating {} to {} bytes", path_, size_wanted);
  }
  return {};
}

Status File::punch_hole(uint64_t offset, uint64_t length) {
  if (fd_ < 0 || length == 0) return {};
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) == 0) {
    return {};
  }
  if (errno == EOPNOTSUPP) return Error::unsupported("{}: the file system cannot punch holes", path_);
  return Error::io(errno, "giving back bytes {}-{} of {}", offset, offset + length, path_);
}

Status File::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) return Error::io(errno, "syncing {}", path_);
  return {};
}

namespace {
// "process PID (hypermount mount)" for the process holding a flock on the file `fd` refers to,
// from /proc/locks (its command's leading plain words only: never a key or a path), or
// "another process" when it cannot be told.
std::string lock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "another process";
  const std::string file_id = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, type, advisory, mode, pid, id;
    if (!(fields >> number >> type >> advisory >> mode >> pid >> id) || type != "FLOCK" || id != file_id) continue;
    std::ifstream cmdline("/proc/" + pid + "/cmdline");
    std::string what, word;
    for (int i = 0; std::getline(cmdline, word, '\0') && i < 4; ++i) {
      if (i == 0) word = word.substr(word.rfind('/') + 1);
      if (word.empty() || word.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos) break;
      what += (what.empty() ? "" : " ") + word;
    }
    return what.empty() ? "process " + pid : fmt::format("process {} ({})", pid, what);
  }
  return "another process";
}
}  // namespace

Status File::try_lock() {
  if (fd_ < 0) HM_TRY(create());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error::unavailable("{} is in use by {}: a core is written by one process at a time", path_,
                                lock_holder(fd_));
    }
    return Error::io(errno, "locking {}", path_);
  }
  return {};
}

}  // namespace hypermount::store
