// Merkle tree nodes of a hypercore and their hashes: leaf, parent, tree (roots), and the message
// a writer signs (spec hypercore.md §3, §4). Pure functions; any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/bytes.hpp"

#include <vector>

namespace hypermount::core {

struct Node {
  uint64_t index = 0;  // flat-tree index
  crypto::Hash hash{};
  uint64_t size = 0;  // data bytes under this node

  bool operator==(const Node&) const = default;
};

Node leaf_node(uint64_t block_index, ByteView data);
// `left` and `right` are siblings (left has the smaller index).
Node parent_node(const Node& left, const Node& right);
// BLAKE2b-256(0x02 || per root: hash || u64be(index) || u64be(size)), roots left to right.
crypto::Hash tree_hash(const std::vector<Node>& roots);

// What hypercore 8 signs: the 32-byte tree hash.
ByteArray<32> signable_v8(const crypto::Hash& tree);
// What hypercore 9 signs: tree hash || u64be(length).
ByteArray<40> signable_v9(const crypto::Hash& tree, uint64_t length);

// Verifies a signature over roots of a log of `length` blocks the way hypercore 9 does: the
// 40-byte form first, then the 32-byte hypercore 8 form.
bool verify_roots(const std::vector<Node>& roots, uint64_t length, const crypto::Signature& sig,
                  const crypto::PublicKey& key);

// Adds a leaf to a list of roots, merging equal-depth neighbours into parents; every node
// created (the leaf first, then each parent) is appended to `created`.
void push_leaf(std::vector<Node>& roots, const Node& leaf, std::vector<Node>& created);

}  // namespace hypermount::core
