// The new content of a file open for writing, held in an unnamed file on disk (not in memory)
// until it is committed to the drive. Loop thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <string>

namespace hypermount::fuse {

class StagingFile {
 public:
  // An empty unnamed file in `folder` (O_TMPFILE, or a name removed at once where the
  // filesystem lacks it): it vanishes with its last descriptor.
  static Result<StagingFile> create(const std::string& folder);

  StagingFile(StagingFile&& other) noexcept;
  StagingFile& operator=(StagingFile&& other) noexcept;
  StagingFile(const StagingFile&) = delete;
  StagingFile& operator=(const StagingFile&) = delete;
  ~StagingFile();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // The bytes the file system holds for it (its holes left out), at most size().
  uint64_t allocated() const;
  Status write(uint64_t offset, ByteView bytes);
  Status resize(uint64_t size);
  // Exactly `length` bytes at `offset` (they must lie within size()), mapped from the file
  // rather than copied out of it where they are all data (holes read as zeros without taking
  // space): the view is valid until the next read, resize or the end of the staging file,
  // whichever comes first.
  Result<ByteView> read(uint64_t offset, size_t length);

 private:
  explicit StagingFile(int fd) : fd_(fd) {}
  void unmap();

  int fd_ = -1;
  uint64_t size_ = 0;
  void* map_ = nullptr;  // the mapping the last read returned a view into
  size_t map_length_ = 0;
  Bytes buffer_;  // what the last read returned a view into when it was not mapped
};

}  // namespace hypermount::fuse
