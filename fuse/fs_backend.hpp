// What the FUSE adapter needs from a filesystem: asynchronous path operations whose callbacks
// run exactly once on the loop thread. Implemented over a drive (drive_backend.hpp).
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace hypermount::fuse {

struct Attr {
  uint32_t mode = 0;  // type and permission bits, as st_mode
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  timespec mtime{};
  timespec ctime{};
};

struct DirEntry {
  std::string name;
  Attr attr;
};

struct FsStats {
  uint64_t block_size = 4096;
  uint64_t blocks = 0;  // total, in block_size units
  uint64_t files = 0;
};

template <typename T>
using Callback = std::function<void(Result<T>)>;

class FsBackend {
 public:
  virtual ~FsBackend() = default;

  // `path` is absolute ("/" for the root) and already split from FUSE's name arguments.
  virtual void lstat(std::string path, Callback<Attr> done) = 0;
  virtual void readdir(std::string path, Callback<std::vector<DirEntry>> done) = 0;
  // Up to `size` bytes at `offset`; fewer (or none) at the end of the file.
  virtual void read(std::string path, uint64_t offset, size_t size, Callback<Bytes> done) = 0;
  virtual void readlink(std::string path, Callback<std::string> done) = 0;
  // An absent attribute is Errc::NotFound (ENODATA at the FUSE edge).
  virtual void getxattr(std::string path, std::string name, Callback<Bytes> done) = 0;
  virtual void listxattr(std::string path, Callback<std::vector<std::string>> done) = 0;
  virtual FsStats statfs() = 0;
  // Whether the content of a given version never changes (lets the kernel cache pages).
  virtual bool immutable() const = 0;
};

}  // namespace hypermount::fuse
