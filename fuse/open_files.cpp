#include "fuse/open_files.hpp"

#include <unordered_map>

namespace hypermount::fuse {

namespace {

std::unordered_map<uint64_t, OpenInode>& open_inodes() {
  static std::unordered_map<uint64_t, OpenInode> inodes;
  return inodes;
}

}  // namespace

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
    if (truncate && (inode->staged->content.size() != 0 || inode->attr.size != 0)) {
      auto emptied = inode->staged->content.resize(0);
      if (!emptied) {
        if (inode->handles == 0) open_inodes().erase(ino);
        return emptied.error();
      }
      inode->staged->dirty = true;
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
