#include "fuse/staging_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
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
      map_(std::exchange(other.map_, nullptr)),
      map_length_(std::exchange(other.map_length_, 0)),
      leaves_(std::move(other.leaves_)) {}

StagingFile& StagingFile::operator=(StagingFile&& other) noexcept {
  if (this != &other) {
    unmap();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    map_ = std::exchange(other.map_, nullptr);
    map_length_ = std::exchange(other.map_length_, 0);
    leaves_ = std::move(other.leaves_);
  }
  return *this;
}

StagingFile::~StagingFile() {
  unmap();
  if (fd_ >= 0) ::close(fd_);
}

void StagingFile::unmap() {
  if (map_ != nullptr) ::munmap(map_, map_length_);
  map_ = nullptr;
  map_length_ = 0;
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
  unmap();  // a shrunk file would fault on its mapped tail
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
  unmap();
  if (length == 0) return ByteView{};
  // Holes are never mapped: tmpfs gives a mapped hole a page of its own on the first read, so a
  // large one could fill the store. A range without data is zeros; one with some is read.
  const uint64_t end = offset + length;
  off_t data = ::lseek(fd_, static_cast<off_t>(offset), SEEK_DATA);
  if (data < 0 && errno != ENXIO) return Error::io(errno, "looking for data in a staging file");
  if (data < 0 || static_cast<uint64_t>(data) >= end) {
    buffer_.assign(length, 0);
    return ByteView(buffer_);
  }
  off_t hole = ::lseek(fd_, static_cast<off_t>(offset), SEEK_HOLE);
  if (hole < 0) return Error::io(errno, "looking for holes in a staging file");
  if (static_cast<uint64_t>(data) > offset || static_cast<uint64_t>(hole) < end) {
    buffer_.resize(length);
    for (size_t done = 0; done < length;) {
      ssize_t n = ::pread(fd_, buffer_.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Error::io(n < 0 ? errno : EIO, "reading a staging file");
      done += static_cast<size_t>(n);
    }
    return ByteView(buffer_);
  }
  // All data: mapped, not read, so that committing a file hashes and writes its bytes straight
  // from the page cache, with no copy into a buffer of ours (MAP_POPULATE: no fault per page).
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t start = offset - offset % page;
  const size_t span = static_cast<size_t>(offset - start) + length;
  void* map = ::mmap(nullptr, span, PROT_READ, MAP_SHARED | MAP_POPULATE, fd_, static_cast<off_t>(start));
  if (map == MAP_FAILED) return Error::io(errno, "mapping a staging file");
  map_ = map;
  map_length_ = span;
  return ByteView(static_cast<const uint8_t*>(map) + (offset - start), length);
}

}  // namespace hypermount::fuse
