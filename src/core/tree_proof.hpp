// Merkle-proof planning over the local tree bits (spec hypercore.md §5.7, §6.2–6.4): which
// nodes a requester lacks, which an uploader sends. Pure functions; loop thread (reads a bitfield).
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "core/bitfield.hpp"
#include "util/result.hpp"

namespace hypermount::core {

// Twice the number of blocks the local tree can prove starting from node `node` (§6.2): the
// "length × 2" whose signature covers it. 0 when the node is not set.
uint64_t verified_by(const CoreBitfield& bits, uint64_t node);

// The 64-bit digest a requester of tree node `node` (= 2 × block) sends in Request.nodes (§6.3):
// which siblings / trusted ancestor it already has. 1 means it needs nothing but the data.
uint64_t proof_digest(const CoreBitfield& bits, uint64_t node);

// An uploader's answer to a request (§6.4): node indices in sending order, and the verifiedBy
// value (0: no roots and no signature needed; otherwise the signature of length v/2 goes along).
struct TreeProof {
  std::vector<uint64_t> nodes;
  uint64_t verified_by = 0;
};

// Plans the proof for node `node` given the requester's `digest`. `remote_nodes` is the per-peer
// set of nodes the remote is known to have; it is read and extended (it outlives the peer's
// requests). Error (Errc::NotFound) when the node is not set locally; the reference destroys the
// stream then. Digest bits beyond tree depth 62 are ignored (the reference cannot see them either).
Result<TreeProof> build_proof(const CoreBitfield& bits, uint64_t node, uint64_t digest,
                              bool hash_only, std::set<uint64_t>& remote_nodes);

// The feed length implied by the tree bits right after opening (§5.7 step 3).
uint64_t local_length_from_bitfield(const CoreBitfield& bits);

}  // namespace hypermount::core
