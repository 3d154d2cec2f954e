// Writes many entries into writable drives fast (folder imports): file bytes go to the content
// core in large appends (one signature per batch, not per file) and the Stats in one trie batch
// per flush, with the times they carry (no parent stamping). The drive's thread.
#pragma once

#include "drive/drive.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace hypermount::drive {

class BulkWriter {
 public:
  // Fills `into` with the file's bytes from `offset` exactly.
  using Reader = std::function<Status(uint64_t offset, std::span<uint8_t> into)>;

  // `drive` (and the drives mounted in it that entries land in) must outlive the writer.
  explicit BulkWriter(Drive& drive) : drive_(drive) {}

  // Queues the file `path` of `size` bytes (replacing what is there), read with `read`. `stat`
  // carries permissions, owner, times and xattrs; its type and content fields are set here. A
  // large file is appended at once, piece by piece.
  Status add_file(std::string_view path, uint64_t size, const Reader& read, Stat stat);
  // Queues a directory, symlink, FIFO, socket or device Stat at `path`, written as given.
  Status add_entry(std::string_view path, const Stat& stat);
  // Appends what is queued: the content first, then the Stats that refer to it.
  Status flush();

  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }

  // Queued file bytes and entries that make a flush.
  static constexpr size_t kFlushBytes = size_t{16} << 20;
  static constexpr size_t kFlushEntries = 4096;

 private:
  // The drive holding `path` (mounts followed) and its trie key there; flushes first when that
  // is another drive than the queued entries'.
  Result<std::pair<Drive*, std::string>> place(std::string_view path);
  // Appends the queued content (blocks ending at block_ends_) to the queued drive's content core.
  Status append_content();
  void queue(std::string key, const Stat& stat);

  Drive& drive_;
  Drive* target_ = nullptr;  // the drive the queued entries go to
  Bytes buffer_;              // queued file bytes, back to back
  std::vector<size_t> block_ends_;  // end of each queued block in buffer_
  std::vector<trie::BatchOp> ops_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace hypermount::drive
