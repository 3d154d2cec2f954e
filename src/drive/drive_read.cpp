// Reading file bytes: a byte range of a file's run of content blocks, or of a mounted hypercore
// (hyperdrive.md §6); every block not local is reported in missing().
#include "drive/drive.hpp"

namespace hypermount::drive {

namespace {

// The block of a file (`blocks` blocks from `first_block`, `file_size` bytes) that byte `offset`
// falls in if its blocks are of one size (a writer's usual chunking): a guess, to fetch by.
uint64_t estimate_block(uint64_t first_block, uint64_t blocks, uint64_t file_size, uint64_t offset) {
  if (blocks == 0 || file_size == 0) return first_block;
  const double share = static_cast<double>(offset) / static_cast<double>(file_size);
  return first_block + std::min(blocks - 1, static_cast<uint64_t>(share * static_cast<double>(blocks)));
}

}  // namespace

std::optional<LocalExtent> Drive::local_extent(const FileContent& content, uint64_t offset, size_t size) {
  const std::shared_ptr<core::Core>& core = content.core;
  auto fd = core->data_fd();
  if (!fd) return std::nullopt;  // read() reports it
  LocalExtent extent{*fd, content.first_byte + offset, 0};
  if (offset >= content.size || size == 0) return extent;
  extent.length = static_cast<size_t>(std::min<uint64_t>(size, content.size - offset));
  const uint64_t end_block = content.first_block + content.blocks;
  auto first = core->seek(content.first_byte + offset);
  auto last = core->seek(content.first_byte + offset + extent.length - 1);
  if (!first || !last || first->block < content.first_block || last->block >= end_block) {
    return std::nullopt;
  }
  for (uint64_t b = first->block; b <= last->block; ++b) {
    if (!core->has(b)) return std::nullopt;
  }
  // Sequential readers come back for the next blocks: the present ones just ahead are checked
  // in the same pass (on every core) instead of one per request.
  uint64_t ahead = last->block;
  uint64_t file_end = std::min(end_block, last->block + 1 + kCheckAheadBlocks);
  while (ahead + 1 < file_end && core->has(ahead + 1)) ++ahead;
  // A failure ahead does not matter (the intact blocks are remembered); one in the range read is
  // left to read(), which reports it (EIO at the mount).
  if (!core->check_blocks_once(first->block, ahead) &&
      !core->check_blocks_once(first->block, last->block)) {
    return std::nullopt;
  }
  return extent;
}

bool Drive::note_absent(const std::shared_ptr<core::Core>& core, uint64_t first, uint64_t last) {
  bool absent = false;
  for (uint64_t b = first; b <= last; ++b) {
    if (!core->has(b)) {
      root_->missing_.add(core, b);
      absent = true;
    }
  }
  return absent;
}

Status Drive::check_local(const FileContent& content, uint64_t offset, size_t size) {
  if (offset >= content.size || size == 0 || content.blocks == 0) return {};
  const core::Core& core = *content.core;
  size = static_cast<size_t>(std::min<uint64_t>(size, content.size - offset));
  // Where the tree cannot place the range yet, the blocks are guessed from the average size.
  const uint64_t end_block = content.first_block + content.blocks;
  auto first = core.seek(content.first_byte + offset);
  auto last = core.seek(content.first_byte + offset + size - 1);
  const uint64_t guess_first = estimate_block(content.first_block, content.blocks, content.size, offset);
  const uint64_t from = first && first->block >= content.first_block && first->block < end_block
                            ? first->block
                            : (guess_first > content.first_block ? guess_first - 1 : guess_first);
  const uint64_t to = last && last->block >= content.first_block && last->block < end_block
                          ? last->block
                          : std::min(end_block - 1, estimate_block(content.first_block, content.blocks,
                                                                   content.size, offset + size - 1) + 1);
  if (note_absent(content.core, from, to)) {
    return Error::unavailable("content blocks {}-{} are not all local", from, to);
  }
  return {};
}

Result<FileContent> Drive::content_of_stat(const Stat& stat) {
  if (stat.is_directory()) return Error{Errc::IsDir, "a directory has no content"};
  if (!stat.is_file()) {
    return Error::invalid("mode {:o} is not a regular file: no content", stat.mode);
  }
  if (stat.mount && stat.mount->hypercore) {
    HM_TRY_ASSIGN(auto core, store_->get(stat.mount->key));
    return FileContent{std::move(core), 0, 0, stat.blocks, stat.size};
  }
  if (!content_) {
    root_->missing_.add(metadata_, 0, true);
    return Error::unavailable("drive {}: the content core is not known yet",
                              to_hex(key()).substr(0, 8));
  }
  return FileContent{content_, stat.offset, stat.byte_offset, stat.blocks, stat.size};
}

Result<Bytes> Drive::read(const FileContent& content, uint64_t offset, size_t size) {
  return read_blocks(content.core, content.first_block, content.blocks, content.first_byte,
                     content.size, offset, size);
}

// Bytes [offset, offset + size) of the file made of `blocks` blocks from `first_block` (its
// first byte at `first_byte` of the core) and `file_size` bytes long.
Result<Bytes> Drive::read_blocks(const std::shared_ptr<core::Core>& core, uint64_t first_block,
                                 uint64_t blocks, uint64_t first_byte, uint64_t file_size,
                                 uint64_t offset, size_t size) {
  if (offset >= file_size || size == 0) return Bytes{};
  size = static_cast<size_t>(std::min<uint64_t>(size, file_size - offset));
  const uint64_t end_block = first_block + blocks;
  auto in_file = [&](const Result<core::SeekResult>& s) {
    return s && s->block >= first_block && s->block < end_block;
  };
  // The block holding the first byte: from the tree when it is local, else by walking the
  // file's blocks from its start.
  uint64_t block = first_block;
  uint64_t in_block = 0;
  auto seek = core->seek(first_byte + offset);
  if (in_file(seek)) {
    block = seek->block;
    in_block = seek->offset_in_block;
    // Ask for every absent block of the range at once when the tree tells where it ends.
    auto last = core->seek(first_byte + offset + size - 1);
    if (in_file(last)) {
      if (note_absent(core, block, last->block)) {
        return Error::unavailable("content blocks {}-{} are not all local", block, last->block);
      }
      // All local: one read, the blocks checked together.
      HM_TRY_ASSIGN(Bytes bytes, core->get_range(block, last->block - block + 1));
      if (in_block + size > bytes.size()) return Error::corrupt("file at block {} ends before its size", first_block);
      bytes.erase(bytes.begin(), bytes.begin() + static_cast<long>(in_block));
      bytes.resize(size);
      return bytes;
    }
  } else {
    // The tree cannot place the byte yet: its nodes come with the blocks around it. Ask for
    // the block the file's average block size points at and its neighbours; once they are here
    // the tree can seek (walking from the file's start would read every block before it).
    const uint64_t guess = estimate_block(first_block, blocks, file_size, offset);
    if (note_absent(core, guess > first_block ? guess - 1 : guess, std::min(guess + 1, end_block - 1))) {
      return Error::unavailable("content block {} is not local", guess);
    }
    uint64_t remaining = offset;
    while (true) {
      if (block >= end_block) return Error::corrupt("file at block {} ends before its size", first_block);
      if (!core->has(block)) {
        root_->missing_.add(core, block);
        return Error::unavailable("content block {} is not local", block);
      }
      HM_TRY_ASSIGN(Bytes bytes, core->get(block));
      if (remaining < bytes.size()) break;
      remaining -= bytes.size();
      ++block;
    }
    in_block = remaining;
  }
  Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    if (block >= end_block) {
      return Error::corrupt("file at block {} ends before its size {}", first_block, file_size);
    }
    if (!core->has(block)) {
      root_->missing_.add(core, block);
      return Error::unavailable("content block {} is not local", block);
    }
    HM_TRY_ASSIGN(Bytes bytes, core->get(block));
    if (in_block > bytes.size()) return Error::corrupt("block {} is shorter than expected", block);
    size_t take = std::min(bytes.size() - in_block, size - out.size());
    out.insert(out.end(), bytes.begin() + static_cast<long>(in_block),
               bytes.begin() + static_cast<long>(in_block + take));
    in_block = 0;
    ++block;
  }
  return out;
}

}  // namespace hypermount::drive
