#include "fuse/staging_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <utility>

namespace hypermount::fuse {

Result<StagingFile> StagingFile::create(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = folder + "/.hypermount-staging-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return Error::io(errno, "creating a staging file in {}", folder);
  return StagingFile(fd);
}

StagingFile::StagingFile(StagingFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), buffer_(std::move(other.buffer_)) {}

StagingFile& StagingFile::operator=(StagingFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

StagingFile::~StagingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status StagingFile::write(uint64_t offset, ByteView bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::io(n < 0 ? errno : ENOSPC, "writing a staging file");
    done += static_cast<size_t>(n);
  }
  size_ = std::max(size_, offset + bytes.size());
  return {};
}

Status StagingFile::resize(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Error::io(errno, "resizing a staging file");
  size_ = size;
  return {};
}

Result<ByteView> StagingFile::read(uint64_t offset, size_t length) {
  if (offset > size_ || length > size_ - offset) return Error::invalid("staging file: read past its end");
  buffer_.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, buffer_.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::io(n < 0 ? errno : EIO, "reading a staging file");
    done += static_cast<size_t>(n);
  }
  return ByteView(buffer_);
}

}  // namespace hypermount::fuse
