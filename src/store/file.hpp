// A random-access file in a store folder, byte-compatible with JS random-access-file:
// positioned reads and writes, created on first write. Loop thread only (blocking syscalls).
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <span>
#include <string>

namespace hypermount::store {

enum class OpenMode { ReadOnly, ReadWrite };

// Writes all of `bytes` at `offset` of `fd` (retrying short writes and EINTR); 0, or the errno
// of the failure. Safe from any thread: it touches nothing but the descriptor.
int write_at(int fd, uint64_t offset, ByteView bytes);
// Writes `pieces` one after the other from `offset` of `fd`, as few pwritev calls as it takes
// (short writes finished with write_at); 0, or the errno of the failure. Safe from any thread.
int write_gather_at(int fd, uint64_t offset, std::span<const ByteView> pieces);

class File {
 public:
  // Opens `path`. A missing file is not an error: it reads as empty and, in ReadWrite mode,
  // is created (with its folder) on the first write, as random-access-file does.
  static Result<File> open(std::string path, OpenMode mode);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // Reads up to out.size() bytes at `offset`; returns how many were read (short at end of file).
  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) const;
  // Reads exactly out.size() bytes or fails with Corrupt naming the file ("truncated").
  Status read_exact(uint64_t offset, std::span<uint8_t> out) const;
  Result<Bytes> read_all() const;
  Status write(uint64_t offset, ByteView bytes);
  // Writes the pieces back to back starting at `offset` (one pwritev where possible).
  Status write_gather(uint64_t offset, std::span<const ByteView> pieces);
  Result<uint64_t> size() const;
  // Makes the file at least `end` bytes long with its blocks allocated (fallocate; the new
  // bytes read as zeros), creating it if needed, so that writes below `end` cannot run out of
  // space: Io with ENOSPC when the file system cannot hold it. A file system without fallocate
  // reserves nothing (and that is not an error).
  Status reserve(uint64_t end);
  // Makes the file at least `offset + length` bytes long where those bytes are all zeros (a hole),
  // without ever shrinking it, so that it is safe while another thread writes past them (the
  // last byte is written; its page given back when it lies inside the hole).
  Status grow_over_hole(uint64_t offset, uint64_t length);
  // The same for bytes [offset, offset + length) (the file grows to their end if shorter).
  Status reserve_range(uint64_t offset, uint64_t length);
  // Makes the file at least `end` bytes long without allocating the new bytes (a hole that
  // reads as zeros), creating it if needed.
  Status extend(uint64_t end);
  // Cuts the file back to `size` bytes (nothing if it is no longer).
  Status truncate(uint64_t size);
  // Gives the space of bytes [offset, offset + length) back to the file system; they read as
  // zeros after, and the file keeps its size. Unsupported where the file system cannot.
  Status punch_hole(uint64_t offset, uint64_t length);
  Status sync();
  // For secrets (keys): created readable by the owner only (0600), and an existing file that
  // others may read is narrowed to 0600 (in ReadWrite mode; a warning where that fails).
  Status make_private();
  // Takes an exclusive advisory lock (flock), as JS random-access-file does with `lock: true`;
  // Unavailable if another process holds it. Released when the file is closed.
  Status try_lock();

  bool exists() const { return fd_ >= 0; }
  // The descriptor, or -1 while the file does not exist yet.
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  File(std::string path, OpenMode mode, int fd) : path_(std::move(path)), mode_(mode), fd_(fd) {}
  Status create();

  std::string path_;
  OpenMode mode_;
  int fd_ = -1;
  unsigned permissions_ = 0644;  // for create()
};

// Creates `path` and its missing parents; Io on failure.
Status make_dirs(const std::string& path);

}  // namespace hypermount::store
