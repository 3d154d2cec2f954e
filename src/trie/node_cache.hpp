// A cache of decoded trie nodes by seq (blocks never change, so entries never go stale).
// Shared by a trie and its checkouts; loop thread only.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "trie/node.hpp"

namespace hypermount::trie {

// Direct-mapped on seq: node seqs are dense (1 .. log length), so a log of up to kMaxEntries
// nodes is held whole; in a longer one a pass over every node evicts only the nodes that share a
// slot, where emptying the cache when full would make every pass over a large log start cold.
class NodeCache {
 public:
  // Slots at most: one pointer each, and a cached node of a 100,000-entry trie takes about
  // 850 bytes, so a full cache holds about 110 MiB. A whole 100,000-file drive fits.
  static constexpr size_t kMaxEntries = 1 << 17;

  NodePtr find(uint64_t seq) const {
    if (slots_.empty()) {
      return nullptr;
    }
    const NodePtr& node = slots_[seq & (slots_.size() - 1)];
    return node && node->seq() == seq ? node : nullptr;
  }
  void insert(uint64_t seq, NodePtr node) {
    if (seq >= slots_.size() && slots_.size() < kMaxEntries) {
      grow(std::min(std::bit_ceil(seq + 1), uint64_t{kMaxEntries}));
    }
    slots_[seq & (slots_.size() - 1)] = std::move(node);
  }
  void clear() { slots_.clear(); }

 private:
  void grow(uint64_t slots) {
    std::vector<NodePtr> old = std::move(slots_);
    slots_.assign(static_cast<size_t>(slots), nullptr);
    for (NodePtr& node : old) {
      if (node) {
        slots_[node->seq() & (slots_.size() - 1)] = std::move(node);
      }
    }
  }

  std::vector<NodePtr> slots_;
};

}  // namespace hypermount::trie
