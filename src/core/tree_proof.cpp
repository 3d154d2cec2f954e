#include "core/tree_proof.hpp"

#include <algorithm>

#include "core/flat_tree.hpp"

namespace hypermount::core {

namespace {

// Walks stop below this depth so that parent() and the digest bit arithmetic cannot overflow.
// Nodes below kMaxTreeNodeIndex never get near it in practice.
constexpr uint64_t kMaxWalkDepth = 61;

}  // namespace

uint64_t verified_by(const CoreBitfield& bits, uint64_t node) {
  if (!bits.has_node(node)) {
    return 0;
  }
  uint64_t top = node;
  while (bits.has_node(flat_tree::parent(top)) && bits.has_node(flat_tree::sibling(top))) {
    top = flat_tree::parent(top);
  }
  uint64_t depth = flat_tree::depth(top);
  while (depth > 0) {
    top = flat_tree::index(depth - 1, 2 * (flat_tree::offset(top) + 1));
    --depth;
    while (!bits.has_node(top) && depth > 0) {
      top = flat_tree::left_child(top);
      --depth;
    }
  }
  return bits.has_node(top) ? top + 2 : top;
}

uint64_t proof_digest(const CoreBitfield& bits, uint64_t node) {
  if (bits.has_node(node)) {
    return 1;
  }
  if (node >= kMaxTreeNodeIndex) {
    return 0;  // "send me everything"
  }
  uint64_t digest = 0;
  uint64_t next = flat_tree::sibling(node);
  uint64_t bit = 2;
  uint64_t parent = flat_tree::parent(next);
  const uint64_t max = std::max(next + 2, bits.tree_bit_length());
  while ((flat_tree::right_span(next) < max || flat_tree::left_span(parent) > 0) &&
         flat_tree::depth(next) < kMaxWalkDepth) {
    if (bits.has_node(next)) {
      digest += bit;
    }
    if (bits.has_node(parent)) {
      digest += 2 * bit;
      if (digest % 2 == 0) {
        digest += 1;
      }
      if (digest + 1 == 4 * bit) {
        return 1;
      }
      return digest;
    }
    next = flat_tree::sibling(parent);
    parent = flat_tree::parent(next);
    bit *= 2;
  }
  return digest;
}

Result<TreeProof> build_proof(const CoreBitfield& bits, uint64_t node, uint64_t digest,
                              bool hash_only, std::set<uint64_t>& remote_nodes) {
  if (!bits.has_node(node)) {
    return Error::not_found("proof for tree node {}: node not present locally", node);
  }
  TreeProof proof;
  if (hash_only) {
    proof.nodes.push_back(node);
  }
  if (digest == 1) {
    return proof;
  }

  // What the digest says the remote has.
  const bool has_root = (digest & 1) != 0;
  uint64_t g = digest >> 1;
  uint64_t next = node;
  while (g != 0 && flat_tree::depth(next) < kMaxWalkDepth) {
    if (g == 1 && has_root) {
      if (bits.has_node(next)) {
        remote_nodes.insert(next);
      }
      const uint64_t sibling = flat_tree::sibling(next);
      if (sibling < next) {
        next = sibling;
      }
      for (uint64_t root : flat_tree::full_roots(flat_tree::right_span(next) + 2)) {
        if (bits.has_node(root)) {
          remote_nodes.insert(root);
        }
      }
      break;
    }
    if ((g & 1) != 0 && bits.has_node(flat_tree::sibling(next))) {
      remote_nodes.insert(flat_tree::sibling(next));
    }
    next = flat_tree::parent(next);
    g >>= 1;
  }

  // Siblings up to the first node the remote has, or up to one of our roots.
  next = node;
  while (!remote_nodes.contains(next)) {
    const uint64_t sibling = flat_tree::sibling(next);
    if (!bits.has_node(sibling)) {
      const uint64_t v = verified_by(bits, next);
      for (uint64_t root : flat_tree::full_roots(v)) {
        if (root != next && !remote_nodes.contains(root)) {
          proof.nodes.push_back(root);
        }
      }
      proof.verified_by = v;
      return proof;
    }
    if (!remote_nodes.contains(sibling)) {
      proof.nodes.push_back(sibling);
    }
    next = flat_tree::parent(next);
  }
  return proof;
}

uint64_t local_length_from_bitfield(const CoreBitfield& bits) {
  const uint64_t tree_length = bits.tree_bit_length();
  uint64_t top = 0;
  uint64_t next = 0;
  while (flat_tree::right_span(next) < tree_length && flat_tree::depth(next) < kMaxWalkDepth) {
    next = flat_tree::parent(next);
    if (bits.has_node(next)) {
      top = next;
    }
  }
  return bits.has_node(top) ? verified_by(bits, top) / 2 : 0;
}

}  // namespace hypermount::core
