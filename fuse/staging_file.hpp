// The new content of a file open for writing, held in an unnamed file on disk (not in memory)
// until it is committed to the drive. Loop thread.
#pragma once

#include "fuse/staged_leaves.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <memory>
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

  // From now on, blocks of `block_size` bytes are hashed on the pool of `loop` as writes fill
  // them (leaves()); `loop` must outlive the hashing in flight.
  Status hash_leaves_ahead(uv_loop_t* loop, uint64_t block_size);
  // The hashes worked out ahead, or null when not asked for.
  StagedLeaves* leaves() { return leaves_.get(); }

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // The bytes the file system holds for it (its holes left out), at most size().
  uint64_t allocated() const;
  Status write(uint64_t offset, ByteView bytes);
  Status resize(uint64_t size);
  // Exactly `length` bytes at `offset` (they must lie within size()); holes read as zeros. The
  // view is valid until the next read or the end of the staging file, whichever comes first.
  Result<ByteView> read(uint64_t offset, size_t length);

 private:
  explicit StagingFile(int fd) : fd_(fd) {}

  int fd_ = -1;
  uint64_t size_ = 0;
  Bytes buffer_;  // what the last read returned a view into
  std::unique_ptr<StagedLeaves> leaves_;
};

}  // namespace hypermount::fuse
