// Files the kernel holds open, by inode: the version of its bytes the file was opened with, and
// once it is opened for writing, the staged new content (one StagingFile shared by every handle
// on the inode until the last one closes). Loop thread; one mount per process.
#pragma once

#include "fuse/content_stream.hpp"
#include "fuse/fs_backend.hpp"
#include "fuse/staging_file.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace hypermount::fuse {

// The new content of a file open for writing.
struct OpenFile {
  explicit OpenFile(StagingFile staged) : content(std::move(staged)) {}

  // Its size: what the stream took, or the staged content's.
  uint64_t size() const { return stream ? stream->size() : content.size(); }
  // Resizes the content (giving a stream up first); a cut below the kept prefix shortens it.
  Status resize(uint64_t size);
  // Gives the stream up: what it appended becomes the kept prefix, the rest goes to `content`.
  Status end_stream();
  // Copies the kept prefix into `content` (a write or read below its end needs it there):
  // from where its bytes lie locally, at once.
  Status materialize();

  StagingFile content;
  // The bytes the file was opened with that were not copied into `content` (a hole there): a
  // file opened to be appended to costs nothing until it is committed (in place).
  KeptPrefix kept;
  // A new file written in order from its start is appended to the drive as it is written
  // (ContentStream), until anything else is done to it (a read, a seek back, a cut).
  std::unique_ptr<ContentStream> stream;
  bool may_stream = false;  // opened empty, nothing written yet: its first write may start one
  bool dirty = false;  // changed since the last commit
  timespec changed_at{};  // when it last changed: its mtime and ctime until it is committed
  uint32_t create_mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// An inode with open handles. A file keeps reading `version` (or `staged`) after its name is
// removed, renamed or replaced, as a descriptor on a local file system does.
struct OpenInode {
  std::shared_ptr<FileVersion> version;  // the committed bytes, read while nothing is staged
  Attr attr;                             // as of the last open or commit (fstat of a removed file)
  std::shared_ptr<OpenFile> staged;      // set by the first open for writing
  int handles = 0;
  bool changed = false;  // the drive changed underneath: read what the path holds now
};

struct FileHandle {
  std::shared_ptr<OpenFile> file;  // null on a handle opened for reading only
};

// Marks `file` changed (a write, a truncate) now.
void mark_changed(OpenFile& file);

// The open inode `ino`, or null when no handle is open on it.
OpenInode* open_inode(uint64_t ino);

// The staged content of inode `ino`, or null.
std::shared_ptr<OpenFile> open_file_of(uint64_t ino);

// A new handle on `ino`. `opened` (the file as just opened by its path) replaces what the inode
// reads; it may be empty only when the inode is open already. With `writing`, the handle
// shares the inode's staged content, `fresh` becoming it if there is none yet (null only when
// there is); `truncate` empties it.
Result<FileHandle*> open_handle(uint64_t ino, std::optional<OpenedFile> opened, bool writing,
                                std::shared_ptr<OpenFile> fresh, bool truncate);

// Drops `handle`; the last one of an inode drops its open inode (and staged content).
void close_handle(uint64_t ino, FileHandle* handle);

// The drive changed underneath (a remote writer): every open inode reads what its path holds
// from its next read on, as readers of a local file see another process's writes.
void note_drive_changed();

// Drops every open inode (the mount is gone; their handles are never released).
void drop_open_files();

}  // namespace hypermount::fuse
