#include "core/flat_tree.hpp"

namespace hypermount::core::flat_tree {

std::vector<uint64_t> full_roots(uint64_t i) {
  std::vector<uint64_t> roots;
  uint64_t remaining = i / 2;
  uint64_t off = 0;
  while (remaining > 0) {
    uint64_t factor = uint64_t{1} << (63 - __builtin_clzll(remaining));
    roots.push_back(off + factor - 1);
    off += 2 * factor;
    remaining -= factor;
  }
  return roots;
}

}  // namespace hypermount::core::flat_tree
