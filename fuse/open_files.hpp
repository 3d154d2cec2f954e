// Files open for writing: the staged new content of each (one StagingFile shared by every
// handle open on its inode) and the handles the kernel holds. Loop thread; one mount per process.
#pragma once

#include "fuse/staging_file.hpp"

#include <cstdint>
#include <memory>

namespace hypermount::fuse {

struct OpenFile {
  explicit OpenFile(StagingFile staged) : content(std::move(staged)) {}

  StagingFile content;
  bool dirty = false;    // changed since the last commit
  bool removed = false;  // unlinked while open: nothing to commit
  uint32_t create_mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int handles = 0;
};

struct FileHandle {
  std::shared_ptr<OpenFile> file;
};

// The open file of inode `ino`, or null.
std::shared_ptr<OpenFile> open_file_of(uint64_t ino);

// A new handle on the open file of `ino`; `fresh` becomes that file if none is open (it may be
// null only when one is). `truncate` empties the file.
Result<FileHandle*> open_handle(uint64_t ino, std::shared_ptr<OpenFile> fresh, bool truncate);

// Drops `handle`; the last one of an inode drops its open file (and staged content).
void close_handle(uint64_t ino, FileHandle* handle);

}  // namespace hypermount::fuse
