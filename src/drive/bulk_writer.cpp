#include "drive/bulk_writer.hpp"

#include "drive/path.hpp"

#include <algorithm>

namespace hypermount::drive {

Result<std::pair<Drive*, std::string>> BulkWriter::place(std::string_view path) {
  HM_TRY_ASSIGN(Drive::Location at, drive_.locate(path, false));
  HM_TRY(at.drive->require_writable());
  if (at.drive->content_ == nullptr) return Error::invalid("{}: the drive has no content core", path);
  if (target_ != nullptr && target_ != at.drive) HM_TRY(flush());
  target_ = at.drive;
  return std::pair<Drive*, std::string>(at.drive, std::move(at.key));
}

void BulkWriter::queue(std::string key, const Stat& stat) {
  trie::BatchOp op;
  op.key = std::move(key);
  op.value = encode_stat(stat);
  ops_.push_back(std::move(op));
}

Status BulkWriter::add_file(std::string_view path, uint64_t size, const Reader& read, Stat stat) {
  HM_TRY_ASSIGN(auto placed, place(path));
  auto& [d, key] = placed;
  if (key.empty()) return Error{Errc::IsDir, "the drive root is a directory"};
  core::Core& content = *d->content_;
  // 10.8.16 keeps a file in one block (hyperdrive.md §7.1); an empty file owns one empty block.
  const bool whole = d->line_ == corestore::DriveLine::V10_8;
  const uint64_t max_block = whole ? std::max<uint64_t>(size, 1) : Drive::kMaxBlockSize;
  auto split = [max_block](size_t base, uint64_t length, std::vector<size_t>& ends) {
    for (uint64_t at = 0; at < length || at == 0; at += max_block) {
      ends.push_back(base + static_cast<size_t>(std::min(at + max_block, length)));
    }
  };
  const uint64_t blocks_before = content.length() + block_ends_.size();
  const uint64_t bytes_before = content.byte_length() + buffer_.size();
  if (size > kFlushBytes && !whole) {  // appended now, a piece at a time
    HM_TRY(append_content());
    Bytes piece(std::min<uint64_t>(size, kFlushBytes));
    for (uint64_t offset = 0; offset < size;) {
      const size_t length = static_cast<size_t>(std::min<uint64_t>(kFlushBytes, size - offset));
      HM_TRY(read(offset, std::span<uint8_t>(piece).first(length)));
      std::vector<size_t> ends;
      split(0, length, ends);
      std::vector<ByteView> blocks;
      for (size_t i = 0, start = 0; i < ends.size(); start = ends[i++]) {
        blocks.push_back(ByteView(piece).subspan(start, ends[i] - start));
      }
      HM_TRY(content.append(blocks));
      offset += length;
    }
  } else {
    const size_t base = buffer_.size();
    if (buffer_.capacity() < base + size) buffer_.reserve(std::max<size_t>(2 * kFlushBytes, base + size));
    buffer_.resize(base + size);
    if (auto s = read(0, std::span<uint8_t>(buffer_).subspan(base, size)); !s) {
      buffer_.resize(base);
      return s;
    }
    split(base, size, block_ends_);
  }
  const uint64_t now = clock_ms();
  stat.mode = kModeRegular | (stat.mode & 07777);
  stat.size = size;
  stat.blocks = content.length() + block_ends_.size() - blocks_before;
  stat.offset = blocks_before;
  stat.byte_offset = bytes_before;
  if (stat.mtime_ms == 0) stat.mtime_ms = now;
  if (stat.ctime_ms == 0) stat.ctime_ms = now;
  stat.linkname.reset();
  stat.mount.reset();
  queue(std::move(key), stat);
  ++files_;
  bytes_ += size;
  if (buffer_.size() >= kFlushBytes || ops_.size() >= kFlushEntries) return flush();
  return {};
}

Status BulkWriter::add_entry(std::string_view path, const Stat& stat) {
  if (stat.is_file() || stat.mount) return Error::invalid("{}: add_entry takes no file or mount", path);
  // A directory that is a drive mount point already stays one (entered: its key is the root).
  HM_TRY_ASSIGN(Drive::Location at, drive_.locate(path, stat.is_directory()));
  if (at.key.empty()) return {};
  HM_TRY_ASSIGN(auto placed, place(path));
  queue(std::move(placed.second), stat);
  if (ops_.size() >= kFlushEntries) return flush();
  return {};
}

Status BulkWriter::append_content() {
  if (block_ends_.empty()) return {};
  std::vector<ByteView> blocks;
  blocks.reserve(block_ends_.size());
  for (size_t i = 0, start = 0; i < block_ends_.size(); start = block_ends_[i++]) {
    blocks.push_back(ByteView(buffer_).subspan(start, block_ends_[i] - start));
  }
  HM_TRY(target_->content_->append(blocks));
  buffer_.clear();
  block_ends_.clear();
  return {};
}

Status BulkWriter::flush() {
  if (target_ == nullptr) return {};
  HM_TRY(append_content());
  if (!ops_.empty()) {
    HM_TRY(target_->noted(target_->trie_->batch(ops_)));
    ops_.clear();
  }
  return {};
}

}  // namespace hypermount::drive
