#include "fuse/open_files.hpp"

#include <unordered_map>

namespace hypermount::fuse {

namespace {

std::unordered_map<uint64_t, std::shared_ptr<OpenFile>>& open_files() {
  static std::unordered_map<uint64_t, std::shared_ptr<OpenFile>> files;
  return files;
}

}  // namespace

std::shared_ptr<OpenFile> open_file_of(uint64_t ino) {
  auto it = open_files().find(ino);
  return it == open_files().end() ? nullptr : it->second;
}

Result<FileHandle*> open_handle(uint64_t ino, std::shared_ptr<OpenFile> fresh, bool truncate) {
  auto& file = open_files()[ino];
  if (!file) {
    if (!fresh) {
      open_files().erase(ino);
      return Error::invalid("no open file for inode {}", ino);
    }
    file = std::move(fresh);
  }
  if (truncate && file->content.size() != 0) {
    HM_TRY(file->content.resize(0));
    file->dirty = true;
  }
  ++file->handles;
  return new FileHandle{file};
}

void close_handle(uint64_t ino, FileHandle* handle) {
  if (--handle->file->handles <= 0) {
    auto it = open_files().find(ino);
    if (it != open_files().end() && it->second == handle->file) open_files().erase(it);
  }
  delete handle;
}

}  // namespace hypermount::fuse
