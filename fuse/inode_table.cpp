#include "fuse/inode_table.hpp"

#include <vector>

namespace hypermount::fuse {

InodeTable::InodeTable() {
  by_ino_[kRoot] = Node{"/", 1};
  by_path_["/"] = kRoot;
}

std::vector<uint64_t> InodeTable::known() const {
  std::vector<uint64_t> inodes;
  inodes.reserve(by_ino_.size());
  for (const auto& [ino, node] : by_ino_) inodes.push_back(ino);
  return inodes;
}

std::string InodeTable::join(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

uint64_t InodeTable::lookup(const std::string& path) {
  auto it = by_path_.find(path);
  if (it != by_path_.end()) {
    ++by_ino_[it->second].lookups;
    return it->second;
  }
  uint64_t ino = next_ino_++;
  by_ino_[ino] = Node{path, 1};
  by_path_[path] = ino;
  return ino;
}

std::optional<uint64_t> InodeTable::find(const std::string& path) const {
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> InodeTable::path_of(uint64_t ino) const {
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return std::nullopt;
  return it->second.path;
}

void InodeTable::forget(uint64_t ino, uint64_t count) {
  if (ino == kRoot) return;
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return;
  if (it->second.lookups > count) {
    it->second.lookups -= count;
    return;
  }
  auto path_it = by_path_.find(it->second.path);
  if (path_it != by_path_.end() && path_it->second == ino) by_path_.erase(path_it);
  by_ino_.erase(it);
}

void InodeTable::drop_path(const std::string& path) {
  if (path != "/") by_path_.erase(path);
}

void InodeTable::rename(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, uint64_t>> moved;
  for (auto& [path, ino] : by_path_) {
    if (path == from || (path.size() > from.size() && path.compare(0, from.size(), from) == 0 &&
                         path[from.size()] == '/')) {
      moved.emplace_back(path, ino);
    }
  }
  for (auto& [path, ino] : moved) {
    by_path_.erase(path);
    std::string target = to + path.substr(from.size());
    by_path_[target] = ino;
    by_ino_[ino].path = target;
  }
}

}  // namespace hypermount::fuse
