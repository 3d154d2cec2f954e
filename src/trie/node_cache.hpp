// A cache of decoded trie nodes by seq (blocks never change, so entries never go stale).
// Shared by a trie and its checkouts; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "trie/node.hpp"

namespace hypermount::trie {

class NodeCache {
 public:
  // Entries kept before the cache starts over (a node is a few hundred bytes).
  static constexpr size_t kMaxEntries = 1 << 16;

  NodePtr find(uint64_t seq) const {
    auto it = nodes_.find(seq);
    return it == nodes_.end() ? nullptr : it->second;
  }
  void insert(uint64_t seq, NodePtr node) {
    if (nodes_.size() >= kMaxEntries) {
      nodes_.clear();
    }
    nodes_[seq] = std::move(node);
  }
  void clear() { nodes_.clear(); }
  size_t size() const { return nodes_.size(); }

 private:
  std::unordered_map<uint64_t, NodePtr> nodes_;
};

}  // namespace hypermount::trie
