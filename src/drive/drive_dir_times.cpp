// Directory times: a directory's mtime and ctime move when an entry is added to or removed from
// it, written in the same batch as the entry (one more trie node per operation).
#include "drive/drive.hpp"

#include "drive/mount_record.hpp"

#include <map>
#include <utility>

namespace hypermount::drive {

namespace {

// The key of the directory holding `key` ("" for an entry of the drive's root).
std::string parent_key(std::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(key.substr(0, slash));
}

}  // namespace

Result<std::optional<trie::BatchOp>> Drive::parent_stamp(const std::string& key, uint64_t now_ms) {
  const std::string parent = parent_key(key);
  // The root (of this drive or of a drive mounted here) has no entry to keep times in.
  if (parent.empty()) return std::optional<trie::BatchOp>();
  HM_TRY_ASSIGN(trie::NodePtr node, noted(trie_->get(parent)));
  // A directory that exists only through its descendants (written without mkdir, as the
  // reference's writeFile does) stays so: its times remain those of its first entry.
  if (!node || !node->value()) return std::optional<trie::BatchOp>();
  auto dir = decode_stat(*node->value());
  // Anything but a plain directory (a bad entry, a file someone wrote below) keeps its Stat.
  if (!dir || !dir->is_directory() || dir->mount) return std::optional<trie::BatchOp>();
  dir->mtime_ms = now_ms;
  dir->ctime_ms = now_ms;
  trie::BatchOp op;
  op.key = parent;
  op.value = encode_stat(*dir);
  return std::optional<trie::BatchOp>(std::move(op));
}

Status Drive::change_entry(const std::string& key, const Stat* stat, uint64_t now_ms,
                           ParentTimes times) {
  HM_TRY(require_writable());
  if (key.empty()) return Error::invalid("cannot write an entry at the drive root");
  std::vector<trie::BatchOp> ops(1);
  ops[0].key = key;
  if (stat) {
    ops[0].value = encode_stat(*stat);
    // A drive mount point keeps the user flag that makes it one (§9.1).
    if (stat->mount && !stat->mount->hypercore) ops[0].flags = kMountUserFlags;
  } else {
    ops[0].type = trie::BatchOp::Type::Delete;
  }
  if (times == ParentTimes::Update) {
    HM_TRY_ASSIGN(auto stamp, parent_stamp(key, now_ms));
    if (stamp) ops.push_back(std::move(*stamp));
  }
  HM_TRY(noted(trie_->batch(ops)));
  return {};
}

Status Drive::stamp_parents(const std::vector<std::string>& paths) {
  const uint64_t now = clock_ms();
  // One batch per drive, one node per directory.
  std::map<Drive*, std::map<std::string, trie::BatchOp>> stamps;
  for (const std::string& path : paths) {
    HM_TRY_ASSIGN(Location at, locate(path, false));
    HM_TRY(at.drive->require_writable());
    HM_TRY_ASSIGN(auto stamp, at.drive->parent_stamp(at.key, now));
    if (stamp) stamps[at.drive].try_emplace(stamp->key, std::move(*stamp));
  }
  for (auto& [drive, by_key] : stamps) {
    std::vector<trie::BatchOp> ops;
    for (auto& [key, op] : by_key) ops.push_back(std::move(op));
    HM_TRY(drive->noted(drive->trie_->batch(ops)));
  }
  return {};
}

}  // namespace hypermount::drive
