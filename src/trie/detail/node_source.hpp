// Node reads for the trie algorithms: block -> decoded node through the cache, a batch overlay,
// and the record of blocks that were not local. One per operation; loop thread only.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "trie/block_log.hpp"
#include "trie/node.hpp"
#include "trie/node_cache.hpp"

namespace hypermount::trie::detail {

class NodeSource {
 public:
  // `reader` and `cache` must outlive this object.
  NodeSource(BlockReader& reader, NodeCache& cache) : reader_(reader), cache_(cache) {}

  // The node at `seq` as hypertrie's getBySeq sees it: nullptr for seq 0 and for a node whose
  // key is '' (the empty-trie marker, §3.1). Nodes of the batch overlay come back as they are.
  // Unavailable when the block is not local; the seq is then added to missing().
  Result<NodePtr> node(uint64_t seq);

  // Nodes appended earlier in the running batch: overlay[k] has seq offset + k. `overlay` must
  // outlive the reads made while it is set.
  void set_overlay(const std::vector<NodePtr>* overlay, uint64_t offset) {
    overlay_ = overlay;
    overlay_offset_ = offset;
  }

  // Blocks that reads found absent, in the order they were needed, without repeats.
  const std::vector<uint64_t>& missing() const { return missing_; }

 private:
  BlockReader& reader_;
  NodeCache& cache_;
  const std::vector<NodePtr>* overlay_ = nullptr;
  uint64_t overlay_offset_ = 0;
  std::vector<uint64_t> missing_;
  std::unordered_set<uint64_t> missing_set_;  // the same seqs, for the repeat check
};

}  // namespace hypermount::trie::detail
