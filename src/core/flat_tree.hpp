// Flat-tree numbering of merkle tree nodes (spec hypercore.md §2): leaves even, parents odd.
// Pure integer maths; any thread.
#pragma once

#include <cstdint>
#include <vector>

namespace hypermount::core::flat_tree {

// Number of trailing one bits: 0 for leaves.
inline uint64_t depth(uint64_t i) {
  uint64_t d = 0;
  while (i & 1) {
    i >>= 1;
    ++d;
  }
  return d;
}
inline uint64_t offset(uint64_t i) { return i >> (depth(i) + 1); }
inline uint64_t index(uint64_t d, uint64_t o) { return ((2 * o + 1) << d) - 1; }
inline uint64_t parent(uint64_t i) { return index(depth(i) + 1, offset(i) >> 1); }
inline uint64_t sibling(uint64_t i) { return index(depth(i), offset(i) ^ 1); }
inline bool is_left(uint64_t i) { return (offset(i) & 1) == 0; }
// Children of a parent node; callers must not pass a leaf.
inline uint64_t left_child(uint64_t i) { return index(depth(i) - 1, 2 * offset(i)); }
inline uint64_t right_child(uint64_t i) { return index(depth(i) - 1, 2 * offset(i) + 1); }
inline uint64_t left_span(uint64_t i) { return offset(i) << (depth(i) + 1); }
inline uint64_t right_span(uint64_t i) { return ((offset(i) + 1) << (depth(i) + 1)) - 2; }
// The leaf node of a block, and the block of a leaf node.
inline uint64_t leaf(uint64_t block) { return 2 * block; }

// Roots of the merkle forest covering the leaves below `i` (i = 2 * number of blocks),
// left to right.
std::vector<uint64_t> full_roots(uint64_t i);

}  // namespace hypermount::core::flat_tree
