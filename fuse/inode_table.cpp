#include "fuse/inode_table.hpp"

#include <string_view>
#include <vector>

namespace hypermount::fuse {

namespace {

// FNV-1a over the path, then the identity mixed in with the splitmix64 finaliser: numbers spread
// over the whole range, so two entries rarely want the same one.
uint64_t preferred_number(std::string_view path, uint64_t identity) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : path) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= identity + 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  // [kRoot + 1, kUnknownIno - 1]
  constexpr uint64_t kFirst = InodeTable::kRoot + 1;
  return kFirst + h % (InodeTable::kUnknownIno - kFirst);
}

}  // namespace

InodeTable::InodeTable() {
  auto root = by_path_.emplace("/", kRoot).first;
  by_ino_[kRoot] = Node{&root->first, 0, 1};
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

std::string InodeTable::parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

uint64_t InodeTable::new_number(const std::string& path, uint64_t identity) const {
  if (!forgotten_.empty()) {
    if (auto it = forgotten_.find(path); it != forgotten_.end() && it->second.identity == identity &&
                                         !by_ino_.contains(it->second.ino)) {
      return it->second.ino;
    }
  }
  // Taken numbers are skipped (the kernel holds far fewer inodes than there are numbers).
  uint64_t ino = preferred_number(path, identity);
  while (by_ino_.contains(ino)) ino = ino + 1 < kUnknownIno ? ino + 1 : kRoot + 1;
  return ino;
}

uint64_t InodeTable::number_for(const std::string& path, uint64_t identity) const {
  if (auto known_ino = find(path)) return *known_ino;
  return new_number(path, identity);
}

uint64_t InodeTable::lookup(const std::string& path, uint64_t identity) {
  // One search of the paths: a known entry is found, a new one gets its place at once.
  auto [at, made] = by_path_.try_emplace(path, 0);
  if (made) {
    at->second = new_number(path, identity);
    by_ino_.emplace(at->second, Node{&at->first, identity, 1});
    return at->second;
  }
  Node& node = by_ino_.at(at->second);
  node.identity = identity;
  ++node.lookups;
  return at->second;
}

std::optional<uint64_t> InodeTable::find(const std::string& path) const {
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> InodeTable::path_of(uint64_t ino) const {
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end() || it->second.path == nullptr) return std::nullopt;
  return *it->second.path;
}

void InodeTable::forget(uint64_t ino, uint64_t count) {
  if (ino == kRoot) return;
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return;
  if (it->second.lookups > count) {
    it->second.lookups -= count;
    return;
  }
  if (it->second.path != nullptr) {
    std::string path = *it->second.path;  // the key goes with its entry
    by_path_.erase(path);
    remember(path, it->second, ino);
  }
  by_ino_.erase(it);
}

void InodeTable::remember(const std::string& path, const Node& node, uint64_t ino) {
  uint64_t seq = forgotten_seq_++;
  forgotten_[path] = Forgotten{ino, node.identity, seq};
  forgotten_order_.emplace_back(path, seq);
  // A path forgotten again has an older place in the order too: only its latest one counts.
  while (forgotten_order_.size() > kRemembered) {
    auto& [oldest, oldest_seq] = forgotten_order_.front();
    if (auto it = forgotten_.find(oldest); it != forgotten_.end() && it->second.seq == oldest_seq) {
      forgotten_.erase(it);
    }
    forgotten_order_.pop_front();
  }
}

void InodeTable::drop_path(const std::string& path) {
  if (path == "/") return;
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return;
  by_ino_[it->second].path = nullptr;
  by_path_.erase(it);
}

void InodeTable::rename(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, uint64_t>> moved;
  for (auto& [path, ino] : by_path_) {
    if (path == from || (path.size() > from.size() && path.compare(0, from.size(), from) == 0 &&
                         path[from.size()] == '/')) {
      moved.emplace_back(path, ino);
    }
  }
  for (auto& [path, ino] : moved) by_path_.erase(path);
  for (auto& [path, ino] : moved) {
    auto [at, made] = by_path_.try_emplace(to + path.substr(from.size()), ino);
    if (!made) {  // an entry there is replaced: its inode loses its name
      by_ino_[at->second].path = nullptr;
      at->second = ino;
    }
    by_ino_[ino].path = &at->first;
  }
}

}  // namespace hypermount::fuse
