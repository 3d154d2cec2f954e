// A small direct-mapped cache of tree nodes known to be stored: checking a proof and working out
// a block's byte offset read the same few records of the tree file again and again. Loop thread only.
#pragma once

#include "core/merkle.hpp"

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

namespace hypermount::core {

class TreeNodeCache {
 public:
  std::optional<Node> find(uint64_t index) const {
    if (slots_.empty()) return std::nullopt;
    const Node& node = slots_[slot(index)];
    if (node.index != index) return std::nullopt;
    return node;
  }

  void put(const Node& node) {
    if (slots_.empty()) slots_.assign(2 * kSlots, Node{.index = kFree});
    slots_[slot(node.index)] = node;
  }

  void clear() { slots_.clear(); }

 private:
  static constexpr size_t kSlotBits = 10;
  static constexpr size_t kSlots = size_t{1} << kSlotBits;
  static constexpr uint64_t kFree = UINT64_MAX;  // no node has this index (proofs stop at 2^56)

  // Nodes this high or higher (one in 8) have slots of their own: they are the left siblings that
  // every block offset adds up, and a stream of stored leaves would otherwise evict them.
  static constexpr int kHighDepth = 3;

  // Fibonacci hashing: a leaf and its parents spread over the slots instead of sharing few.
  static size_t slot(uint64_t index) {
    const size_t base = std::countr_one(index) >= kHighDepth ? kSlots : 0;
    return base + ((index * 0x9E3779B97F4A7C15ull) >> (64 - kSlotBits));
  }

  std::vector<Node> slots_;  // allocated on first use: many cores are opened and never read
};

}  // namespace hypermount::core
