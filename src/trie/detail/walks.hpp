// The three pointer walks of hypertrie 4.8.0 (spec hypertrie.md §7 get, §8 put, §9 delete),
// pure over a NodeSource so they can be re-run after a missing block arrives. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>

#include "trie/detail/node_source.hpp"
#include "trie/node.hpp"

namespace hypermount::trie::detail {

// §7: the node for `query` reached from `head` (nullptr for none). `prefix` stops before the
// end digit; `closest` returns the last node reached when a branch is missing.
Result<NodePtr> walk_get(NodeSource& source, NodePtr head, const Node& query, bool prefix,
                         bool closest);

// §8 steps 1-3: fills the routing table of `node` from `head`. Pointers to seq `del` are never
// added (delete re-writes, §9). Returns the node where the walk ended: the previous node for the
// same digits when the walk ran through, the closest node when it stopped early, nullptr when
// there was no head or no non-colliding sibling.
Result<NodePtr> walk_put(NodeSource& source, NodePtr head, Node& node, uint64_t del);

struct DeleteWalk {
  // The node to delete (its key equals the query's), or nullptr when the key is absent.
  NodePtr target;
  // Where the walk stopped when the key is absent (the delete condition's `closest` node).
  NodePtr stopped_at;
  // Seq of the neighbour to re-write, 0 when the trie becomes empty.
  uint64_t closest = 0;
};

// §9 steps 1-3.
Result<DeleteWalk> walk_delete(NodeSource& source, NodePtr head, const Node& query);

}  // namespace hypermount::trie::detail
