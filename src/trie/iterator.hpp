// Ordered iteration over a trie view (list / readdir), hypertrie 4.8.0's algorithm (spec
// hypertrie.md §12): hash order, recursive or one level, reverse, gt, hidden. Loop thread only.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "trie/block_log.hpp"
#include "trie/node.hpp"
#include "trie/node_cache.hpp"

namespace hypermount::trie {

struct ListOptions {
  // Descend into every level (true) or stop one component below the prefix (§12.2).
  bool recursive = true;
  bool reverse = false;
  // Skip the prefix key itself.
  bool gt = false;
  // Iterate the hidden namespace instead of the visible one.
  bool hidden = false;
};

// Restartable: when next() fails with Errc::Unavailable, missing_seqs() names the blocks it
// needs (all of one expansion, so they can be fetched in parallel); once they are local, call
// next() again and it continues where it stopped. Borrows the reader and cache given at
// construction; they must outlive the iterator.
class Iterator {
 public:
  Iterator(BlockReader& reader, std::shared_ptr<NodeCache> cache, uint64_t head_seq,
           std::string prefix, ListOptions options);

  // The next node, or nullptr at the end. Non-recursive iteration yields one representative
  // node per child component (the caller reduces each key to that component).
  Result<NodePtr> next();
  // The blocks the last failed next() needed (a few: the loads of one expansion).
  const std::vector<uint64_t>& missing_seqs() const { return missing_; }
  // Every block the rest of the iteration can be seen to need, breadth first over all it can
  // still reach with the blocks that are local: the whole frontier of the walk. Fetching these
  // together makes a listing of any size cost about as many rounds as the trie is deep.
  std::vector<uint64_t> frontier();

 private:
  struct Entry {
    uint64_t i = 0;
    uint64_t seq = 0;
    NodePtr node;
    bool loaded = false;
  };

  Status open();
  Status load_pending();
  void sort_pending();

  BlockReader& reader_;
  std::shared_ptr<NodeCache> cache_;
  uint64_t head_seq_;
  std::string prefix_;
  ListOptions options_;
  bool opened_ = false;
  uint64_t start_ = 0;
  uint64_t end_ = std::numeric_limits<uint64_t>::max();
  std::vector<Entry> stack_;
  size_t loaded_below_ = 0;  // stack_[0, loaded_below_) are all loaded
  // [from, to) ranges of the stack holding collided siblings, sorted once loaded.
  std::vector<std::pair<size_t, size_t>> needs_sort_;
  std::vector<uint64_t> missing_;
};

}  // namespace hypermount::trie
