// A set of block indices kept as disjoint half-open ranges: what a remote peer has announced
// (wire.md §7.2). Plain value type; use from the owner's thread.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

namespace hypermount::wire {

class BlockRanges {
 public:
  // Adds [start, end); merges with neighbours.
  void add(uint64_t start, uint64_t end) {
    if (start >= end) return;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second >= start) {
        start = prev->first;
        end = std::max(end, prev->second);
        it = ranges_.erase(prev);
      }
    }
    while (it != ranges_.end() && it->first <= end) {
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(start, end);
  }

  // Removes [start, end).
  void remove(uint64_t start, uint64_t end) {
    if (start >= end) return;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin()) --it;
    while (it != ranges_.end() && it->first < end) {
      uint64_t a = it->first;
      uint64_t b = it->second;
      if (b <= start) {
        ++it;
        continue;
      }
      it = ranges_.erase(it);
      if (a < start) ranges_.emplace(a, start);
      if (b > end) ranges_.emplace(end, b);
    }
  }

  bool contains(uint64_t block) const {
    auto it = ranges_.upper_bound(block);
    if (it == ranges_.begin()) return false;
    return std::prev(it)->second > block;
  }

  // One past the highest block in the set (0 when empty).
  uint64_t end() const { return ranges_.empty() ? 0 : ranges_.rbegin()->second; }
  bool empty() const { return ranges_.empty(); }
  size_t range_count() const { return ranges_.size(); }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // start -> end, disjoint and not touching
};

}  // namespace hypermount::wire
