#include "drive/drive.hpp"

#include "drive/mount_record.hpp"
#include "drive/path.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <unordered_set>

namespace hypermount::drive {

namespace {

constexpr std::string_view kDriveSubtype = "hyperdrive";

// Points `write` at `content`, the file's bytes in the content core already: it goes on after them.
void continue_after(Drive::FileWrite& write, const FileContent& content) {
  write.first_block = content.first_block;
  write.first_byte = content.first_byte;
  write.blocks = content.blocks;
  write.offset = content.size;
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

std::string short_hex(const crypto::PublicKey& key) { return to_hex(key).substr(0, 8); }

}  // namespace

void MissingBlocks::add(const std::shared_ptr<core::Core>& core, uint64_t block, bool metadata) {
  auto it = std::find_if(cores.begin(), cores.end(), [&](const InCore& c) { return c.core == core; });
  if (it == cores.end()) {
    cores.push_back({core, {}, metadata});
    it = cores.end() - 1;
  }
  it->blocks.insert(block);
}

Drive::Drive(corestore::Corestore& store, std::shared_ptr<core::Core> metadata,
             std::shared_ptr<core::Core> content, std::unique_ptr<trie::CoreLog> log,
             std::unique_ptr<trie::Trie> trie, bool checkout, corestore::DriveLine line)
    : store_(&store),
      metadata_(std::move(metadata)),
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
                                short_hex(metadata->key()));
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
  return std::unique_ptr<Drive>(new Drive(ns.store(), std::move(metadata), std::move(content),
                                          std::move(log), std::move(trie), false, line));
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
  return std::unique_ptr<Drive>(new Drive(*store_, metadata_, content_, nullptr,
                                          trie_->checkout(version), true, line_));
}

void Drive::note_missing_nodes(const std::vector<uint64_t>& seqs) {
  for (uint64_t seq : seqs) root_->missing_.add(metadata_, seq, true);
}

void Drive::note_query(const std::string& key, std::optional<uint64_t> iterator_flags) {
  root_->missing_.queries.push_back({metadata_, trie_->head_seq(), key, iterator_flags});
}

Status Drive::require_writable() const {
  if (checkout_) return Error::read_only("drive {}: a checkout is read-only", short_hex(key()));
  if (!metadata_->writable() || !content_ || !content_->writable()) {
    return Error::read_only("drive {} is not writable here (no secret key)", short_hex(key()));
  }
  return {};
}

Result<std::vector<trie::NodePtr>> Drive::children(const std::string& key) {
  trie::ListOptions options;
  options.recursive = false;
  return noted(trie_->list(key, options));
}

Result<Stat> Drive::lstat_key(const std::string& key) {
  if (!key.empty()) {
    auto got = noted(trie_->get(key));
    if (!got && got.error().code() == Errc::Unavailable) note_query(key, std::nullopt);
    HM_TRY_ASSIGN(trie::NodePtr node, std::move(got));
    if (node && node->value()) return decode_stat(*node->value());
  }
  // The first child decides: stop there instead of listing the whole directory.
  trie::ListOptions options;
  options.recursive = false;
  trie::Iterator it = trie_->iterator(key, options);
  while (true) {
    auto next = it.next();
    if (!next) {
      if (next.error().code() == Errc::Unavailable) {
        note_missing_nodes(it.missing_seqs());
        note_query(key, 0);
      }
      return next.error();
    }
    const trie::NodePtr& child = *next;
    if (!child) break;
    if (depth_of(child->key()) <= depth_of(key) || !child->value()) continue;
    auto child_stat = decode_stat(*child->value());
    return implicit_directory(child_stat ? &*child_stat : nullptr);
  }
  if (key.empty()) return Stat::directory(0);
  return Error::not_found("no entry at {}", key_to_path(key));
}

Result<std::vector<DirListing>> Drive::readdir_key(const std::string& key) {
  HM_TRY_ASSIGN(Stat self, lstat_key(key));
  if (!self.is_directory()) {
    return Error{Errc::NotDir, fmt::format("{} is not a directory", key_to_path(key))};
  }
  HM_TRY_ASSIGN(auto below, children(key));
  size_t depth = depth_of(key);
  std::vector<DirListing> entries;
  std::unordered_set<std::string> seen;
  // A name's own entry that is not local does not stop the others: every lookup runs, so one
  // fetch brings all the nodes they lacked (missing() collects them) instead of one per name.
  std::optional<Error> unavailable;
  for (const trie::NodePtr& node : below) {
    const auto& parts = node->components();
    if (parts.size() <= depth || !node->value()) continue;
    const std::string& name = parts[depth];
    // A name no directory can hold (".", "..", or with a NUL byte: only a hostile writer makes
    // one) is left out: listed, it would stand for this folder or its parent.
    if (name == "." || name == ".." || name.find('\0') != std::string::npos) {
      log::warn("drive", "{}: an entry named {:?} is left out", key_to_path(key), name);
      continue;
    }
    if (!seen.insert(name).second) continue;
    auto decoded = decode_stat(*node->value());
    if (!decoded) {
      // One bad entry (a writer's bug or a malicious one) must not hide the others: it is
      // left out here, and its own lstat reports it.
      log::warn("drive", "{}: {}", key_to_path(node->key()), decoded.error().to_string());
      continue;
    }
    Stat stat = std::move(*decoded);
    if (parts.size() == depth + 1) {
      entries.push_back({name, std::move(stat)});
      continue;
    }
    // The listing gave a node below the name: the name may still have its own entry.
    auto looked_up = noted(trie_->get(key.empty() ? name : key + "/" + name));
    if (!looked_up) {
      if (looked_up.error().code() != Errc::Unavailable) return looked_up.error();
      if (!unavailable) unavailable = looked_up.error();
      continue;
    }
    const trie::NodePtr& own = *looked_up;
    if (own && own->value()) {
      HM_TRY_ASSIGN(Stat own_stat, decode_stat(*own->value()));
      entries.push_back({name, std::move(own_stat)});
    } else {
      entries.push_back({name, implicit_directory(&stat)});
    }
  }
  if (unavailable) return *unavailable;
  return entries;
}

std::optional<uint64_t> Drive::subdirectory_count_key(const std::string& key, size_t limit) {
  trie::ListOptions options;
  options.recursive = false;
  trie::Iterator it = trie_->iterator(key, options);
  const size_t depth = depth_of(key);
  std::unordered_set<std::string> directories;
  for (size_t seen = 0; seen <= limit; ++seen) {
    auto next = it.next();
    if (!next) return std::nullopt;  // not local: not worth a fetch
    const trie::NodePtr& node = *next;
    if (!node) return directories.size();
    const auto& parts = node->components();
    if (parts.size() <= depth || !node->value()) continue;
    // A node further down makes its name a directory, with or without an entry of its own.
    if (parts.size() > depth + 1) {
      directories.insert(parts[depth]);
      continue;
    }
    auto stat = decode_stat(*node->value());
    if (stat && stat->is_directory()) directories.insert(parts[depth]);
  }
  return std::nullopt;
}

Result<Stat> Drive::lstat(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  return at.drive->lstat_key(at.key);
}

Result<std::vector<DirListing>> Drive::readdir(std::string_view path) {
  auto at = locate(path, true);
  root_->missing_.listing = true;
  HM_TRY(at);
  return at->drive->readdir_key(at->key);
}

std::optional<uint64_t> Drive::subdirectory_count(std::string_view path, size_t limit) {
  auto at = locate(path, true);
  if (!at) return std::nullopt;
  return at->drive->subdirectory_count_key(at->key, limit);
}

Result<Bytes> Drive::read(std::string_view path, uint64_t offset, size_t size) {
  HM_TRY_ASSIGN(FileContent content, content_of(path));
  return read(content, offset, size);
}

Result<FileContent> Drive::content_of(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  HM_TRY_ASSIGN(Stat stat, at.drive->lstat_key(at.key));
  return at.drive->content_of_stat(stat);
}

Result<bool> Drive::written_here(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  return at.drive->metadata_->writable();
}

Result<Bytes> Drive::read_file(std::string_view path) {
  HM_TRY_ASSIGN(Stat stat, lstat(path));
  return read(path, 0, static_cast<size_t>(stat.size));
}

Status Drive::put_stat(std::string_view path, const Stat& stat) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  return at.drive->change_entry(at.key, &stat, 0, ParentTimes::Keep);
}

Status Drive::write_file(std::string_view path, ByteView data, Stat stat) {
  auto source = [data](uint64_t offset, size_t length) -> Result<ByteView> {
    return data.subspan(static_cast<size_t>(offset), length);
  };
  return write_file(path, data.size(), source, std::move(stat));
}

Status Drive::write_file(std::string_view path, uint64_t size, const ContentSource& source, Stat stat) {
  HM_TRY_ASSIGN(FileWrite write, begin_write(path, size, std::move(stat)));
  while (true) {
    HM_TRY_ASSIGN(bool appended, write_step(write, source));
    if (appended) break;
  }
  return end_write(write);
}

Result<Drive::FileWrite> Drive::begin_write(std::string_view path, uint64_t size, Stat stat) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  if (at.key.empty()) return Error{Errc::IsDir, "the drive root is a directory"};
  FileWrite write;
  write.drive = &d;
  write.key = std::move(at.key);
  write.size = size;
  write.first_block = d.content_->length();
  write.first_byte = d.content_->byte_length();
  write.stat = std::move(stat);
  HM_TRY_ASSIGN(trie::NodePtr existing, d.noted(d.trie_->get(write.key)));
  write.created = !existing || !existing->value();
  return write;
}

Result<Drive::FileWrite> Drive::begin_extend(std::string_view path, uint64_t size, Stat stat) {
  HM_TRY_ASSIGN(FileWrite write, begin_write(path, size, std::move(stat)));
  const Stat& now = write.stat;
  const core::Core& content = *write.drive->content_;
  // 10.8.16 keeps a file in one block; an empty file's one empty block is rewritten as well.
  if (write.drive->line_ == corestore::DriveLine::V10_8 || !now.is_file() || now.mount ||
      now.size == 0 || size <= now.size || now.offset + now.blocks != content.length() ||
      now.byte_offset + now.size != content.byte_length()) {
    return Error::invalid("{} does not end the content core: written whole", path);
  }
  continue_after(write, FileContent{nullptr, now.offset, now.byte_offset, now.blocks, now.size});
  return write;
}

Result<Drive::FileWrite> Drive::begin_adopt(std::string_view path, const FileContent& content, Stat stat) {
  HM_TRY_ASSIGN(FileWrite write, begin_write(path, content.size, std::move(stat)));
  if (write.drive->content_ != content.core || content.blocks == 0) {
    return Error::invalid("{}: its content lies in another drive's core", path);
  }
  continue_after(write, content);
  return write;
}

Result<std::shared_ptr<core::Core>> Drive::stream_core(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  if (d.line_ != corestore::DriveLine::V10_21) return Error::invalid("{}: the 10.8.16 line keeps a file in one block", path);
  return d.content_;
}

Result<bool> Drive::write_step(FileWrite& write, const ContentSource& source, const KnownLeaves& known) {
  Drive& d = *write.drive;
  core::Core& content = *d.content_;
  if (content.byte_length() != write.first_byte + write.offset) {
    return Error{Errc::Busy, fmt::format("{}: the content core grew during the write", key_to_path(write.key))};
  }
  // 10.8.16 hands the whole buffer to the content stream as one chunk: one block, unsplit.
  const bool whole = d.line_ == corestore::DriveLine::V10_8;
  const uint64_t max_block = whole ? std::max<uint64_t>(write.size, 1) : kMaxBlockSize;
  const uint64_t batch_bytes = max_block * (whole ? 1 : kAppendBatchBlocks);
  // An empty file owns one empty block.
  const size_t length = static_cast<size_t>(std::min(batch_bytes, write.size - write.offset));
  HM_TRY_ASSIGN(ByteView batch, source(write.offset, length));
  if (batch.size() != length) return Error::invalid("{}: the new content ended early", key_to_path(write.key));
  std::vector<ByteView> blocks;
  std::vector<std::optional<crypto::Hash>> leaf_hashes;
  for (size_t at_byte = 0; at_byte < length || blocks.empty(); at_byte += max_block) {
    blocks.push_back(batch.subspan(at_byte, std::min<size_t>(max_block, length - at_byte)));
    if (known) leaf_hashes.push_back(known(write.offset + at_byte, blocks.back().size()));
  }
  HM_TRY(content.append(blocks, leaf_hashes));
  write.offset += length;
  write.blocks += blocks.size();
  return write.offset >= write.size;
}

Status Drive::end_write(FileWrite& write) {
  Drive& d = *write.drive;
  Stat& stat = write.stat;
  const uint64_t now = clock_ms();
  stat.mode = kModeRegular | (stat.mode != 0 ? stat.mode & 07777 : kDefaultFileMode);
  stat.size = write.size;
  stat.blocks = write.blocks;
  stat.offset = write.first_block;
  stat.byte_offset = write.first_byte;
  if (stat.mtime_ms == 0) stat.mtime_ms = now;
  stat.ctime_ms = now;
  stat.linkname.reset();
  stat.mount.reset();
  return d.change_entry(write.key, &stat, now,
                        write.created ? ParentTimes::Update : ParentTimes::Keep);
}

Result<Drive::Location> Drive::locate_new(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  if (at.key.empty()) return Error::exists("{} exists", path);
  HM_TRY_ASSIGN(trie::NodePtr node, d.noted(d.trie_->get(at.key)));
  if (node) return Error::exists("{} exists", path);
  return at;
}

Status Drive::mkdir(std::string_view path, uint32_t mode) {
  HM_TRY_ASSIGN(Location at, locate_new(path));
  Drive& d = *at.drive;
  const uint64_t now = clock_ms();
  Stat dir = Stat::directory(now, kModeDirectory | (mode & 07777));
  dir.offset = d.content_->length();
  dir.byte_offset = d.content_->byte_length();
  return d.change_entry(at.key, &dir, now, ParentTimes::Update);
}

Status Drive::symlink(std::string_view target, std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate_new(path));
  Drive& d = *at.drive;
  const uint64_t now = clock_ms();
  const Stat link = Stat::symlink(std::string(target), now);
  return d.change_entry(at.key, &link, now, ParentTimes::Update);
}

Status Drive::mknod(std::string_view path, const Stat& stat) {
  if (stat.kind() != EntryKind::Other) {
    return Error::invalid("{}: mode {:o} is no FIFO, socket or device", path, stat.mode);
  }
  HM_TRY_ASSIGN(Location at, locate_new(path));
  Drive& d = *at.drive;
  return d.change_entry(at.key, &stat, clock_ms(), ParentTimes::Update);
}

Status Drive::unlink(std::string_view path, ParentTimes times) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  HM_TRY_ASSIGN(Stat stat, d.lstat_key(at.key));
  if (stat.is_directory()) return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
  return d.change_entry(at.key, nullptr, clock_ms(), times);
}

Status Drive::rmdir(std::string_view path, ParentTimes times) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  if (at.key.empty()) return Error::invalid("cannot remove the drive root");
  HM_TRY_ASSIGN(Stat stat, d.lstat_key(at.key));
  if (!stat.is_directory()) return Error{Errc::NotDir, fmt::format("{} is not a directory", path)};
  if (stat.mount) return Error{Errc::Busy, fmt::format("{} is a drive mount point: unmount it", path)};
  HM_TRY_ASSIGN(auto below, d.children(at.key));
  for (const trie::NodePtr& child : below) {
    if (depth_of(child->key()) > depth_of(at.key) && child->value()) {
      return Error{Errc::NotEmpty, fmt::format("{} is not empty", path)};
    }
  }
  HM_TRY_ASSIGN(trie::NodePtr node, d.noted(d.trie_->get(at.key)));
  if (!node) return {};
  return d.change_entry(at.key, nullptr, clock_ms(), times);
}

}  // namespace hypermount::drive
