#include "fuse/open_files.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

namespace hypermount::fuse {

namespace {

std::unordered_map<uint64_t, OpenInode>& open_inodes() {
  static std::unordered_map<uint64_t, OpenInode> inodes;
  return inodes;
}

}  // namespace

Status OpenFile::end_stream() {
  may_stream = false;
  if (!stream) return {};
  HM_TRY_ASSIGN(KeptPrefix appended, stream->abandon(content));
  stream.reset();
  kept = std::move(appended);
  return {};
}

Status OpenFile::resize(uint64_t size) {
  HM_TRY(end_stream());
  kept.size = std::min(kept.size, size);
  if (kept.size == 0) kept.version.reset();
  return content.resize(size);
}

Status OpenFile::materialize() {
  if (kept.size == 0) return {};
  auto extent = kept.version->local_extent(0, static_cast<size_t>(kept.size));
  if (!extent || extent->length < kept.size) {
    return Error::unavailable("the first {} bytes of the file are no longer local", kept.size);
  }
  Bytes buffer(std::min<uint64_t>(kept.size, 4 << 20));
  for (uint64_t done = 0; done < kept.size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), kept.size - done));
    ssize_t got = ::pread(extent->fd, buffer.data(), n, static_cast<off_t>(extent->position + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Error::io(got < 0 ? errno : EIO, "reading the file's kept bytes");
    HM_TRY(content.write(done, ByteView(buffer.data(), static_cast<size_t>(got))));
    done += static_cast<uint64_t>(got);
  }
  kept = {};
  return {};
}

void mark_changed(OpenFile& file) {
  file.dirty = true;
  clock_gettime(CLOCK_REALTIME, &file.changed_at);
}

OpenInode* open_inode(uint64_t ino) {
  auto it = open_inodes().find(ino);
  return it == open_inodes().end() ? nullptr : &it->second;
}

std::shared_ptr<OpenFile> open_file_of(uint64_t ino) {
  OpenInode* inode = open_inode(ino);
  return inode ? inode->staged : nullptr;
}

Result<FileHandle*> open_handle(uint64_t ino, std::optional<OpenedFile> opened, bool writing,
                                std::shared_ptr<OpenFile> fresh, bool truncate) {
  OpenInode* inode = open_inode(ino);
  if (!inode && !opened) return Error::invalid("inode {} is not open", ino);
  if (writing && !(inode && inode->staged) && !fresh) {
    return Error::invalid("no staged content for inode {}", ino);
  }
  if (!inode) inode = &open_inodes()[ino];
  if (opened) {
    inode->version = std::move(opened->version);
    inode->attr = opened->attr;
  }
  if (writing) {
    if (!inode->staged) inode->staged = std::move(fresh);
    // O_TRUNC empties the file even if nothing is written after (`: > file`).
    if (truncate && (inode->staged->size() != 0 || inode->attr.size != 0)) {
      auto emptied = inode->staged->resize(0);
      if (!emptied) {
        if (inode->handles == 0) open_inodes().erase(ino);
        return emptied.error();
      }
      mark_changed(*inode->staged);
    }
  }
  ++inode->handles;
  return new FileHandle{writing ? inode->staged : nullptr};
}

void close_handle(uint64_t ino, FileHandle* handle) {
  auto it = open_inodes().find(ino);
  if (it != open_inodes().end() && --it->second.handles <= 0) open_inodes().erase(it);
  delete handle;
}

void note_drive_changed() {
  for (auto& [ino, inode] : open_inodes()) inode.changed = true;
}

void drop_open_files() { open_inodes().clear(); }

}  // namespace hypermount::fuse
