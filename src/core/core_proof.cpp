// Serving proofs to peers and verifying blocks received from them (spec hypercore.md §6.4, §7).
#include "core/core.hpp"
#include "core/flat_tree.hpp"
#include "core/tree_proof.hpp"

#include <algorithm>

namespace hypermount::core {

namespace {

// Indices above this cannot occur in a real log (the reference uses doubles, < 2^53) and would
// overflow the flat-tree arithmetic; a proof carrying one is rejected.
constexpr uint64_t kMaxNodeIndex = uint64_t{1} << 56;
constexpr size_t kMaxProofNodes = 256;

bool is_trusted(const std::optional<Node>& trusted, const Node& top) {
  return trusted && trusted->index == top.index;
}

}  // namespace

uint64_t Core::digest_for(uint64_t block) const {
  return proof_digest(bitfield_, flat_tree::leaf(block));
}

Result<Proof> Core::proof(uint64_t block, uint64_t digest, bool hash_only,
                          std::set<uint64_t>& remote_nodes) const {
  HM_TRY_ASSIGN(TreeProof indices,
                build_proof(bitfield_, flat_tree::leaf(block), digest, hash_only, remote_nodes));
  Proof proof;
  proof.block = block;
  proof.verified_by = indices.verified_by;
  for (uint64_t index : indices.nodes) {
    HM_TRY_ASSIGN(Node node, require_node(index));
    proof.nodes.push_back(node);
  }
  if (proof.verified_by > 0) {
    HM_TRY_ASSIGN(proof.signature, storage_.read_signature(proof.verified_by / 2 - 1));
  }
  return proof;
}

Status Core::put_remote(uint64_t block, std::optional<ByteView> value,
                        const std::vector<Node>& nodes,
                        const std::optional<crypto::Signature>& signature,
                        const std::optional<Node>& leaf) {
  HM_TRY_ASSIGN(std::optional<uint64_t> offset, accept_remote(block, value, nodes, signature, leaf));
  if (value) HM_TRY(write_accepted(block, *offset, *value));
  return {};
}

Status Core::write_accepted(uint64_t block, uint64_t offset, ByteView value) {
  HM_TRY(storage_.stage_data(offset, value));
  data_written(block, offset, value.size());
  return {};
}

void Core::data_written(uint64_t block, uint64_t offset, uint64_t size) {
  if (bitfield_.has_block(block)) return;
  note_next_offset(block + 1, offset + size);
  bitfield_.set_node(flat_tree::leaf(block));
  bitfield_.set_block(block, true);
  mark_checked(block, block + 1);  // its bytes were verified against the tree
}

Result<std::optional<uint64_t>> Core::accept_remote(uint64_t block, std::optional<ByteView> value,
                                                    const std::vector<Node>& nodes,
                                                    const std::optional<crypto::Signature>& signature,
                                                    const std::optional<Node>& leaf) {
  if (storage_.read_only()) return Error::read_only("{} is opened read-only", dir());
  if (block >= kMaxNodeIndex / 2 || nodes.size() > kMaxProofNodes) {
    return Error::protocol("proof for block {} is out of range", block);
  }
  for (const Node& node : nodes) {
    if (node.index >= kMaxNodeIndex) return Error::protocol("proof node {} is out of range", node.index);
  }
  // A proof node we already trust must be the one we hold. The walk below prefers the proof's
  // nodes, so without this a second tree signed by the writer (a fork that rewrites part of the
  // log and extends it) would pass its signature check and overwrite stored nodes. On a fork the
  // first verified tree stays and the block is refused (the peer is dropped by the caller);
  // hypercore 8.14 has no such check and stores whatever a valid signature covers.
  for (const Node& node : nodes) {
    if (!bitfield_.has_node(node.index)) continue;
    HM_TRY_ASSIGN(Node stored, require_node(node.index));
    if (node.hash != stored.hash || node.size != stored.size) {
      return Error::corrupt("proof for block {} contradicts stored tree node {} (a fork of the log)",
                            block, node.index);
    }
  }
  const uint64_t leaf_index = flat_tree::leaf(block);
  size_t first = value ? 0 : 1;
  if (!value && (nodes.empty() || nodes[0].index != leaf_index)) {
    return Error::protocol("hash-only reply for block {} does not start with its leaf", block);
  }

  // 1. The nearest ancestor of the leaf that is already trusted locally, and the local
  //    siblings the walk up will need.
  std::optional<Node> trusted;
  std::vector<uint64_t> local_siblings;
  {
    uint64_t n = leaf_index;
    size_t cursor = first;
    while (n < kMaxNodeIndex) {
      if (bitfield_.has_node(n)) {
        HM_TRY_ASSIGN(trusted, require_node(n));
        break;
      }
      uint64_t s = flat_tree::sibling(n);
      n = flat_tree::parent(n);
      if (cursor < nodes.size() && nodes[cursor].index == s) {
        ++cursor;
        continue;
      }
      if (!bitfield_.has_node(s)) {
        if (bitfield_.has_node(n)) {
          HM_TRY_ASSIGN(trusted, require_node(n));
        }
        break;
      }
      local_siblings.push_back(s);
    }
  }

  // 2. Hash upwards from the leaf until the trusted node, or until a root.
  size_t pos = 0;
  Node top = !value ? nodes[pos++] : leaf ? *leaf : leaf_node(block, *value);
  if (top.index != leaf_index) return Error::protocol("hashed leaf is not block {}'s", block);
  std::vector<Node> visited;
  size_t local_pos = 0;
  bool accepted = false;
  while (true) {
    if (is_trusted(trusted, top)) {
      if (top.hash != trusted->hash || top.size != trusted->size) {
        return Error::corrupt(
            "block {} from peer does not match the trusted tree node {} (bad data or a fork)", block,
            top.index);
      }
      accepted = true;
      break;
    }
    uint64_t s = flat_tree::sibling(top.index);
    Node sibling;
    if (pos < nodes.size() && nodes[pos].index == s) {
      sibling = nodes[pos++];
      visited.push_back(sibling);
    } else if (local_pos < local_siblings.size() && local_siblings[local_pos] == s) {
      HM_TRY_ASSIGN(sibling, require_node(s));
      ++local_pos;
    } else {
      break;
    }
    visited.push_back(top);
    top = top.index < s ? parent_node(top, sibling) : parent_node(sibling, top);
    if (top.index >= kMaxNodeIndex) return Error::protocol("proof for block {} climbs too high", block);
  }

  // 3. Without a trusted node, `top` must be a root: check the signature over all the roots.
  std::vector<Node> new_roots;
  std::optional<uint64_t> verified_length;
  std::vector<Node> roots;
  if (!accepted) {
    uint64_t span = flat_tree::right_span(top.index);
    if (pos < nodes.size()) span = std::max(span, flat_tree::right_span(nodes.back().index));
    uint64_t v = span + 2;
    for (uint64_t r : flat_tree::full_roots(v)) {
      if (r == top.index) {
        roots.push_back(top);
      } else if (pos < nodes.size() && nodes[pos].index == r) {
        roots.push_back(nodes[pos++]);
      } else if (bitfield_.has_node(r)) {
        HM_TRY_ASSIGN(Node local, require_node(r));
        roots.push_back(local);
      } else {
        return Error::protocol("missing tree roots needed to verify block {}", block);
      }
    }
    if (std::none_of(roots.begin(), roots.end(), [&](const Node& r) { return r.index == top.index; })) {
      return Error::protocol("proof for block {} does not lead to a root", block);
    }
    if (!signature) {
      return Error::protocol("peer did not include a signature for block {}", block);
    }
    if (!verify_roots(roots, v / 2, *signature, key_)) {
      return Error::corrupt("signature from peer does not verify block {} of {}", block,
                            to_hex(discovery_key_).substr(0, 8));
    }
    for (const Node& root : roots) {
      if (!bitfield_.has_node(root.index)) new_roots.push_back(root);
    }
    verified_length = v / 2;
  }

  // 4. Store: nodes, signature; the bitfield in memory, its file at flush_stored. The data is
  //    the caller's to write, at the offset returned.
  std::vector<Node> to_store = visited;
  to_store.insert(to_store.end(), new_roots.begin(), new_roots.end());
  HM_TRY(storage_.stage_nodes(to_store));
  if (verified_length) HM_TRY(storage_.write_signature(*verified_length - 1, *signature));
  for (const Node& node : to_store) bitfield_.set_node(node.index);
  std::optional<uint64_t> offset;
  if (value) {
    HM_TRY_ASSIGN(offset, block_offset(block));
  }
  if (verified_length && *verified_length > length_) {
    length_ = *verified_length;
    roots_ = roots;
    byte_length_ = 0;
    for (const Node& root : roots_) byte_length_ += root.size;
  }
  return offset;
}

}  // namespace hypermount::core
