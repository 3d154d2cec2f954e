#include "fuse/staging_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
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
      map_length_(std::exchange(other.map_length_, 0)) {}

StagingFile& StagingFile::operator=(StagingFile&& other) noexcept {
  if (this != &other) {
    unmap();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    map_ = std::exchange(other.map_, nullptr);
    map_length_ = std::exchange(other.map_length_, 0);
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
  return {};
}

Status StagingFile::resize(uint64_t size) {
  unmap();  // a shrunk file would fault on its mapped tail
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Error::io(errno, "resizing a staging file");
  size_ = size;
  return {};
}

Result<ByteView> StagingFile::read(uint64_t offset, size_t length) {
  if (offset > size_ || length > size_ - offset) return Error::invalid("staging file: read past its end");
  unmap();
  if (length == 0) return ByteView{};
  // Mapped, not read: committing a file hashes and writes its bytes straight from the page
  // cache, with no copy into a buffer of ours (MAP_POPULATE: no fault per page later).
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
