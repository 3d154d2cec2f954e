// Inode numbers handed to the kernel, each standing for one path, with the kernel's lookup
// counts so forgotten inodes are dropped. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hypermount::fuse {

class InodeTable {
 public:
  static constexpr uint64_t kRoot = 1;

  InodeTable();

  // The inode of `path`, made if new; counts one kernel lookup.
  uint64_t lookup(const std::string& path);
  // The inode of `path` if the kernel knows it, without counting a lookup.
  std::optional<uint64_t> find(const std::string& path) const;
  // The path of an inode the kernel knows, or nullopt for a stale number.
  std::optional<std::string> path_of(uint64_t ino) const;
  // Drops `count` kernel lookups; the inode is freed at zero (the root never is).
  void forget(uint64_t ino, uint64_t count);
  // Points every inode at or below `from` to the same place under `to` (after a rename).
  void rename(const std::string& from, const std::string& to);
  // Forgets the path -> inode entry of a removed `path` (the inode lives on until forgotten), so
  // a new entry there gets a new inode.
  void drop_path(const std::string& path);
  size_t size() const { return by_ino_.size(); }
  // Every inode the kernel knows.
  std::vector<uint64_t> known() const;

  // The child path of `name` in the folder `parent` ("/" joins without doubling).
  static std::string join(const std::string& parent, const std::string& name);

 private:
  struct Node {
    std::string path;
    uint64_t lookups = 0;
  };
  std::unordered_map<uint64_t, Node> by_ino_;
  std::unordered_map<std::string, uint64_t> by_path_;
  uint64_t next_ino_ = kRoot + 1;
};

}  // namespace hypermount::fuse
