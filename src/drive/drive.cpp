#include "drive/drive.hpp"

#include "core/flat_tree.hpp"
#include "drive/path.hpp"

#include <algorithm>
#include <chrono>

namespace hypermount::drive {

namespace {

constexpr std::string_view kDriveSubtype = "hyperdrive";

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

size_t depth_of(const std::string& key) {
  return key.empty() ? 0 : static_cast<size_t>(std::count(key.begin(), key.end(), '/')) + 1;
}

// The clean attribute of a directory that exists only through its descendants.
Stat implicit_directory(const Stat* child) {
  Stat dir = Stat::directory(child ? child->mtime_ms : 0);
  if (child) dir.ctime_ms = child->ctime_ms;
  return dir;
}

}  // namespace

Drive::Drive(std::shared_ptr<core::Core> metadata, std::shared_ptr<core::Core> content,
             std::unique_ptr<trie::CoreLog> log, std::unique_ptr<trie::Trie> trie, bool checkout,
             corestore::DriveLine line)
    : metadata_(std::move(metadata)),
      content_(std::move(content)),
      log_(std::move(log)),
      trie_(std::move(trie)),
      checkout_(checkout),
      line_(line) {}

Result<std::unique_ptr<Drive>> Drive::assemble(std::shared_ptr<core::Core> metadata,
                                               const corestore::Namespace& ns,
                                               std::optional<corestore::DriveLine> create_line) {
  auto log = std::make_unique<trie::CoreLog>(*metadata);
  std::shared_ptr<core::Core> content;
  std::unique_ptr<trie::Trie> trie;
  // The line: given at creation; on reopening, read from the header subtype (see line()).
  corestore::DriveLine line = corestore::DriveLine::V10_21;
  if (metadata->length() == 0 && create_line && metadata->writable()) {
    line = *create_line;
    HM_TRY_ASSIGN(content, corestore::create_drive_content_core(ns, metadata->key(), *create_line));
    trie::OpenOptions options;
    options.metadata = Bytes(content->key().begin(), content->key().end());
    if (*create_line == corestore::DriveLine::V10_21) options.subtype = std::string(kDriveSubtype);
    HM_TRY_ASSIGN(trie, trie::Trie::open(*log, std::move(options)));
  } else {
    if (metadata->writable()) {
      HM_TRY_ASSIGN(trie, trie::Trie::open(*log));
    } else {
      trie = std::make_unique<trie::Trie>(*log);
    }
    if (metadata->length() > 0) {
      auto header = trie->header();
      if (header) {
        if (!header->metadata || header->metadata->size() != crypto::kPublicKeySize) {
          return Error::corrupt("drive {}: metadata block 0 names no content core",
                                to_hex(metadata->key()).substr(0, 8));
        }
        crypto::PublicKey content_key;
        std::copy(header->metadata->begin(), header->metadata->end(), content_key.begin());
        HM_TRY_ASSIGN(content, corestore::open_drive_content_core(ns, content_key));
        line = header->subtype == kDriveSubtype ? corestore::DriveLine::V10_21
                                                : corestore::DriveLine::V10_8;
      } else if (header.error().code() != Errc::NotFound &&
                 header.error().code() != Errc::Unavailable) {
        return header.error();
      }
    }
  }
  return std::unique_ptr<Drive>(
      new Drive(std::move(metadata), std::move(content), std::move(log), std::move(trie), false,
                line));
}

Result<std::unique_ptr<Drive>> Drive::open_own(const corestore::Namespace& ns,
                                               corestore::DriveLine line) {
  HM_TRY_ASSIGN(auto metadata, corestore::drive_metadata_core(ns));
  return assemble(std::move(metadata), ns, line);
}

Result<std::unique_ptr<Drive>> Drive::open(corestore::Corestore& store,
                                           const crypto::PublicKey& key) {
  HM_TRY_ASSIGN(auto metadata, store.get(key));
  return assemble(std::move(metadata), store.root_namespace(), std::nullopt);
}

std::unique_ptr<Drive> Drive::checkout(uint64_t version) {
  return std::unique_ptr<Drive>(
      new Drive(metadata_, content_, nullptr, trie_->checkout(version), true, line_));
}

MissingBlocks Drive::missing() const { return {trie_->missing_seqs(), missing_content_}; }

Status Drive::require_writable() const {
  if (checkout_) return Error::read_only("drive {}: a checkout is read-only", to_hex(key()).substr(0, 8));
  if (!metadata_->writable() || !content_ || !content_->writable()) {
    return Error::read_only("drive {} is not writable here (no secret key)",
                            to_hex(key()).substr(0, 8));
  }
  return {};
}

Result<std::vector<trie::NodePtr>> Drive::children(const std::string& key) {
  trie::ListOptions options;
  options.recursive = false;
  return trie_->list(key, options);
}

Result<Stat> Drive::lstat(std::string_view path) {
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  if (!key.empty()) {
    HM_TRY_ASSIGN(trie::NodePtr node, trie_->get(key));
    if (node && node->value()) return decode_stat(*node->value());
  }
  HM_TRY_ASSIGN(auto below, children(key));
  for (const trie::NodePtr& child : below) {
    if (depth_of(child->key()) <= depth_of(key) || !child->value()) continue;
    auto child_stat = decode_stat(*child->value());
    return implicit_directory(child_stat ? &*child_stat : nullptr);
  }
  if (key.empty()) return Stat::directory(0);
  return Error::not_found("no entry at {}", path);
}

Result<std::vector<DirListing>> Drive::readdir(std::string_view path) {
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  HM_TRY_ASSIGN(Stat self, lstat(path));
  if (!self.is_directory()) return Error{Errc::NotDir, fmt::format("{} is not a directory", path)};
  HM_TRY_ASSIGN(auto below, children(key));
  size_t depth = depth_of(key);
  std::vector<DirListing> entries;
  for (const trie::NodePtr& node : below) {
    const auto& parts = node->components();
    if (parts.size() <= depth || !node->value()) continue;
    const std::string& name = parts[depth];
    if (std::any_of(entries.begin(), entries.end(),
                    [&](const DirListing& e) { return e.name == name; })) {
      continue;
    }
    auto stat = decode_stat(*node->value());
    if (!stat) return stat.error();
    if (parts.size() == depth + 1) {
      entries.push_back({name, std::move(*stat)});
    } else {
      entries.push_back({name, implicit_directory(&*stat)});
    }
  }
  return entries;
}

Result<Bytes> Drive::read(const Stat& stat, uint64_t offset, size_t size) {
  missing_content_.clear();
  if (!stat.is_file()) return Error{Errc::IsDir, "not a regular file"};
  if (offset >= stat.size || size == 0) return Bytes{};
  size = static_cast<size_t>(std::min<uint64_t>(size, stat.size - offset));
  if (!content_) return Error::unavailable("drive {}: the content core is not known yet", to_hex(key()).substr(0, 8));
  // Find the block holding the first byte: from the tree when it is local, else by walking
  // the file's blocks from its start.
  uint64_t block = stat.offset;
  uint64_t in_block = 0;
  auto seek = content_->seek(stat.byte_offset + offset);
  if (seek && seek->block >= stat.offset && seek->block < stat.offset + stat.blocks) {
    block = seek->block;
    in_block = seek->offset_in_block;
  } else {
    uint64_t remaining = offset;
    while (true) {
      if (!content_->has(block)) {
        missing_content_.push_back(block);
        return Error::unavailable("content block {} is not local", block);
      }
      HM_TRY_ASSIGN(Bytes bytes, content_->get(block));
      if (remaining < bytes.size()) break;
      remaining -= bytes.size();
      ++block;
    }
    in_block = remaining;
  }
  Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    if (block >= stat.offset + stat.blocks) {
      return Error::corrupt("file at content block {} ends before its size {}", stat.offset, stat.size);
    }
    if (!content_->has(block)) {
      missing_content_.push_back(block);
      return Error::unavailable("content block {} is not local", block);
    }
    HM_TRY_ASSIGN(Bytes bytes, content_->get(block));
    if (in_block > bytes.size()) return Error::corrupt("content block {} is shorter than expected", block);
    size_t take = std::min(bytes.size() - in_block, size - out.size());
    out.insert(out.end(), bytes.begin() + static_cast<long>(in_block),
               bytes.begin() + static_cast<long>(in_block + take));
    in_block = 0;
    ++block;
  }
  return out;
}

Result<Bytes> Drive::read_file(std::string_view path) {
  HM_TRY_ASSIGN(Stat stat, lstat(path));
  return read(stat, 0, static_cast<size_t>(stat.size));
}

Status Drive::put_stat(std::string_view path, const Stat& stat) {
  HM_TRY(require_writable());
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  if (key.empty()) return Error::invalid("cannot write an entry at the drive root");
  Bytes value = encode_stat(stat);
  HM_TRY(trie_->put(key, ByteView(value)));
  return {};
}

Status Drive::write_file(std::string_view path, ByteView data, Stat stat) {
  HM_TRY(require_writable());
  uint64_t first_block = content_->length();
  uint64_t first_byte = content_->byte_length();
  // 10.8.16 hands the whole buffer to the content stream as one chunk: one block, unsplit.
  size_t max_block = line_ == corestore::DriveLine::V10_8 ? data.size() : kMaxBlockSize;
  std::vector<ByteView> blocks;
  for (size_t at = 0; at < data.size(); at += max_block) {
    blocks.push_back(data.subspan(at, std::min(max_block, data.size() - at)));
  }
  if (blocks.empty()) blocks.push_back(data);  // an empty file owns one empty block
  HM_TRY(content_->append(blocks));
  uint64_t now = now_ms();
  stat.mode = kModeRegular | (stat.mode & 07777 ? stat.mode & 07777 : kDefaultFileMode);
  stat.size = data.size();
  stat.blocks = blocks.size();
  stat.offset = first_block;
  stat.byte_offset = first_byte;
  if (stat.mtime_ms == 0) stat.mtime_ms = now;
  stat.ctime_ms = now;
  stat.linkname.reset();
  stat.mount.reset();
  return put_stat(path, stat);
}

Status Drive::mkdir(std::string_view path, uint32_t mode) {
  HM_TRY(require_writable());
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  if (key.empty()) return Error::exists("the drive root exists");
  HM_TRY_ASSIGN(trie::NodePtr node, trie_->get(key));
  if (node) return Error::exists("{} exists", path);
  Stat dir = Stat::directory(now_ms(), mode & 07777);
  dir.offset = content_->length();
  dir.byte_offset = content_->byte_length();
  return put_stat(path, dir);
}

Status Drive::symlink(std::string_view target, std::string_view path) {
  HM_TRY(require_writable());
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  HM_TRY_ASSIGN(trie::NodePtr node, trie_->get(key));
  if (node) return Error::exists("{} exists", path);
  return put_stat(path, Stat::symlink(std::string(target), now_ms()));
}

Status Drive::unlink(std::string_view path) {
  HM_TRY(require_writable());
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  HM_TRY_ASSIGN(Stat stat, lstat(path));
  if (stat.is_directory() && !stat.mount) return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
  HM_TRY(trie_->del(key));
  return {};
}

Status Drive::rmdir(std::string_view path) {
  HM_TRY(require_writable());
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  if (key.empty()) return Error::invalid("cannot remove the drive root");
  HM_TRY_ASSIGN(Stat stat, lstat(path));
  if (!stat.is_directory()) return Error{Errc::NotDir, fmt::format("{} is not a directory", path)};
  HM_TRY_ASSIGN(auto below, children(key));
  for (const trie::NodePtr& child : below) {
    if (depth_of(child->key()) > depth_of(key) && child->value()) {
      return Error{Errc::NotEmpty, fmt::format("{} is not empty", path)};
    }
  }
  HM_TRY_ASSIGN(trie::NodePtr node, trie_->get(key));
  if (node) HM_TRY(trie_->del(key));
  return {};
}

}  // namespace hypermount::drive
