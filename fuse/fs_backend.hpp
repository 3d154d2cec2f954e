// What the FUSE adapter needs from a filesystem: asynchronous path operations whose callbacks
// run exactly once on the loop thread. Implemented over a drive (drive_backend.hpp).
#pragma once

#include <sys/statvfs.h>

#include "fuse/staging_file.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::drive {
struct FileContent;
}  // namespace hypermount::drive

namespace hypermount::fuse {

class ContentStream;

struct Attr {
  uint32_t mode = 0;  // type and permission bits, as st_mode
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint64_t rdev = 0;  // a device's number, as st_rdev (makedev); 0 for everything else
  timespec atime{};  // set explicitly (utimensat), else the mtime: reads never change it
  timespec mtime{};
  timespec ctime{};
  // Tells this entry from one that takes its path later: the same while the entry is unchanged
  // (a rename keeps it), different for a new file made there. Inode numbers are derived from it.
  uint64_t identity = 0;
};

struct DirEntry {
  std::string name;
  Attr attr;
};

// Metadata changes of setattr; unset fields stay as they are.
struct AttrChange {
  std::optional<uint32_t> mode;  // permission bits only
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<timespec> atime;
  std::optional<timespec> mtime;
};

// The largest file a mount holds (4 TiB): a write or truncate past it fails with EFBIG.
constexpr uint64_t kMaxFileSize = uint64_t{1} << 42;

// Bytes of a file that lie, verified, in a local file: handed to the kernel without copying.
struct FileExtent {
  int fd = -1;
  uint64_t position = 0;
  size_t length = 0;  // 0 at or after the end of the file
};

template <typename T>
using Callback = std::function<void(Result<T>)>;

// One version of a file's bytes, taken when the file is opened: it keeps reading those bytes
// whatever later happens at the file's path (removed, renamed, replaced). Loop thread; the
// backend that made it must outlive it.
class FileVersion {
 public:
  virtual ~FileVersion() = default;

  // Up to `size` bytes at `offset`; fewer (or none) at the end of the file.
  virtual void read(uint64_t offset, size_t size, Callback<Bytes> done) = 0;
  // Where bytes [offset, offset + size) lie locally, if they all do (answered at once);
  // nullopt means read() them.
  virtual std::optional<FileExtent> local_extent(uint64_t offset, size_t size) = 0;
  // Copies its first `size` bytes into `into` at the same offsets (`into` must stay until `done`).
  virtual void copy_into(StagingFile& into, uint64_t size, Callback<void> done) = 0;
};

// The first `size` bytes of a file open for writing that are still those of the `version` it
// was opened with: its staging file holds a hole there, and only what follows was written.
struct KeptPrefix {
  std::shared_ptr<FileVersion> version;
  uint64_t size = 0;
};

// A regular file as it is opened.
struct OpenedFile {
  std::shared_ptr<FileVersion> version;
  Attr attr;
};

class FsBackend {
 public:
  virtual ~FsBackend() = default;

  // `path` is absolute ("/" for the root) and already split from FUSE's name arguments.
  virtual void lstat(std::string path, Callback<Attr> done) = 0;
  virtual void readdir(std::string path, Callback<std::vector<DirEntry>> done) = 0;
  // The regular file at `path` as it is now (IsDir for a directory, Invalid for anything else
  // that is no regular file).
  virtual void open_file(std::string path, Callback<OpenedFile> done) = 0;
  virtual void readlink(std::string path, Callback<std::string> done) = 0;
  // An absent attribute is Errc::NotFound (ENODATA at the FUSE edge).
  virtual void getxattr(std::string path, std::string name, Callback<Bytes> done) = 0;
  virtual void listxattr(std::string path, Callback<std::vector<std::string>> done) = 0;
  // The figures of the file system everything written lands on (the store's).
  virtual struct statvfs statfs() = 0;
  // Whether the content of a given version never changes (lets the kernel cache pages).
  virtual bool immutable() const = 0;
  // Tells the backend how to see that the kernel has requests waiting: work it does ahead
  // (listings a walk will want) gives way to them.
  virtual void set_requests_waiting(std::function<bool()> waiting) { (void)waiting; }

  // Writing. Every write fails with Errc::ReadOnly unless writable().
  virtual bool writable() const { return false; }
  // Gives back the space of content no open file and no current entry needs (removed and
  // replaced files; older versions of the drive then lack it); returns the bytes.
  virtual uint64_t give_back() { return 0; }
  // An empty staging file for the new content of a file open for writing.
  virtual Result<StagingFile> new_staging_file() = 0;
  // Replaces the whole content of the file `path` with that of `content` (empty if null; it
  // must stay until `done`) but for its `kept` prefix, keeping its mode, owner and xattrs; a new
  // file gets `mode` (permission bits), `uid` and `gid`. A file that only grew, and whose content
  // ends the log, is extended in place (its kept bytes are not written again).
  virtual void write_file(std::string path, StagingFile* content, KeptPrefix kept, uint32_t mode,
                          uint32_t uid, uint32_t gid, Callback<Attr> done) = 0;
  // A stream that appends the bytes of the new file `path` to the drive as they are written in
  // order (content_stream.hpp), or null where the drive holding `path` takes none.
  virtual std::unique_ptr<ContentStream> start_stream(const std::string& path) = 0;
  // Makes `content`, all a finished stream appended, the whole content of the file `path`, as
  // write_file does (nothing more is appended); returns the file's attributes and `content` as
  // the kept prefix the file reads from now on.
  struct Streamed {
    Attr attr;
    KeptPrefix content;
  };
  virtual Result<Streamed> write_streamed(const std::string& path, const drive::FileContent& content,
                                          uint32_t mode, uint32_t uid, uint32_t gid) = 0;
  // Cuts or zero-extends the file `path` to `size` bytes.
  virtual void truncate(std::string path, uint64_t size, Callback<Attr> done) = 0;
  virtual void change_attr(std::string path, AttrChange change, Callback<Attr> done) = 0;
  virtual void mkdir(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, Callback<Attr> done) = 0;
  virtual void symlink(std::string target, std::string path, uint32_t uid, uint32_t gid,
                       Callback<Attr> done) = 0;
  // Makes the FIFO, socket or device `mode` (type and permission bits) at the new `path`; `rdev`
  // (as st_rdev) is kept for devices. Exists if something is there.
  virtual void mknod(std::string path, uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
                     Callback<Attr> done) = 0;
  virtual void unlink(std::string path, Callback<void> done) = 0;
  virtual void rmdir(std::string path, Callback<void> done) = 0;
  // Moves `from` (a file, symlink or folder tree) to `to`, replacing a file or empty folder
  // there. `no_replace`: Exists if `to` exists.
  virtual void rename(std::string from, std::string to, bool no_replace, Callback<void> done) = 0;
  // `flags`: XATTR_CREATE / XATTR_REPLACE. A missing attribute (remove, replace) is NotFound.
  virtual void setxattr(std::string path, std::string name, Bytes value, int flags, Callback<void> done) = 0;
  virtual void removexattr(std::string path, std::string name, Callback<void> done) = 0;
};

}  // namespace hypermount::fuse
