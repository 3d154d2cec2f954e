// Inode numbers handed to the kernel, each standing for one file: its current path (none once
// removed or replaced while the kernel still holds it) and the kernel's lookup count. Loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hypermount::fuse {

class InodeTable {
 public:
  static constexpr uint64_t kRoot = 1;
  // Numbers are below 2^32 (32-bit stat callers get no EOVERFLOW) and never this one: readdir
  // gives it for entries it has no number for (libfuse's FUSE_UNKNOWN_INO).
  static constexpr uint64_t kUnknownIno = 0xffffffff;
  // Forgotten inodes whose number is kept for their entry (about 100 bytes each).
  static constexpr size_t kRemembered = 1 << 16;

  InodeTable();

  // The inode of the entry at `path` (its Attr::identity given), made if new; counts one kernel
  // lookup. An entry the kernel forgot gets its old number back if it is unchanged (same path
  // and identity): from the last kRemembered forgotten inodes, else because a new number is
  // derived from path and identity. A number in use is never given to another file.
  uint64_t lookup(const std::string& path, uint64_t identity);
  // The number lookup() would give now, without making or counting anything.
  uint64_t number_for(const std::string& path, uint64_t identity) const;
  // The inode at `path` if the kernel knows it, without counting a lookup.
  std::optional<uint64_t> find(const std::string& path) const;
  // The path of an inode the kernel knows; nullopt for a stale number or a removed file.
  std::optional<std::string> path_of(uint64_t ino) const;
  // Whether the kernel holds `ino` (named or removed).
  bool known(uint64_t ino) const { return by_ino_.contains(ino); }
  // Drops `count` kernel lookups; the inode is freed at zero (the root never is).
  void forget(uint64_t ino, uint64_t count);
  // Points every inode at or below `from` to the same place under `to` (after a rename).
  void rename(const std::string& from, const std::string& to);
  // The entry at `path` was removed or replaced: its inode (if any) loses its name and lives on
  // until forgotten (an open file keeps working), and a new entry there gets a new inode.
  void drop_path(const std::string& path);
  size_t size() const { return by_ino_.size(); }
  // Every inode the kernel knows.
  std::vector<uint64_t> known() const;

  // The child path of `name` in the folder `parent` ("/" joins without doubling).
  static std::string join(const std::string& parent, const std::string& name);
  // The folder holding `path` ("/" for the root and its entries).
  static std::string parent(const std::string& path);

 private:
  struct Node {
    const std::string* path = nullptr;  // its key in by_path_ (nodes never move); none once removed
    uint64_t identity = 0;              // of the entry as last looked up
    uint64_t lookups = 0;
  };
  struct Forgotten {
    uint64_t ino = 0;
    uint64_t identity = 0;
    uint64_t seq = 0;  // when: its place in forgotten_order_
  };
  void remember(const std::string& path, const Node& node, uint64_t ino);
  // The number a new entry at `path` gets: its forgotten one, else one derived and free.
  uint64_t new_number(const std::string& path, uint64_t identity) const;

  std::unordered_map<uint64_t, Node> by_ino_;
  std::unordered_map<std::string, uint64_t> by_path_;
  std::unordered_map<std::string, Forgotten> forgotten_;  // by path, at most kRemembered
  std::deque<std::pair<std::string, uint64_t>> forgotten_order_;  // (path, seq), oldest first
  uint64_t forgotten_seq_ = 0;
};

}  // namespace hypermount::fuse
