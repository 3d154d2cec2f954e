#include "core/tree_proof.hpp"

#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "core/bitfield.hpp"
#include "core/flat_tree.hpp"
#include "vectors.hpp"

using hypermount::Errc;
using hypermount::core::build_proof;
using hypermount::core::CoreBitfield;
using hypermount::core::local_length_from_bitfield;
using hypermount::core::proof_digest;
using hypermount::core::verified_by;

namespace {

// A writer's tree bits after appending `blocks` blocks: every leaf, parents by the closure rule.
CoreBitfield writer_tree(uint64_t blocks) {
  CoreBitfield bits;
  for (uint64_t b = 0; b < blocks; ++b) {
    bits.set_node(2 * b);
  }
  return bits;
}

std::vector<uint64_t> set_nodes(const CoreBitfield& bits) {
  std::vector<uint64_t> out;
  for (uint64_t n = 0; n < bits.tree_bit_length(); ++n) {
    if (bits.has_node(n)) {
      out.push_back(n);
    }
  }
  return out;
}

// Writes out and reopens, as a feed does between runs.
CoreBitfield reopen(CoreBitfield& bits) {
  hypermount::Bytes body;
  for (auto& [number, page] : bits.take_dirty_pages()) {
    body.resize(std::max<size_t>(body.size(), (number + 1) * page.size()), 0);
    std::copy(page.begin(), page.end(),
              body.begin() + static_cast<std::ptrdiff_t>(number * page.size()));
  }
  return CoreBitfield::from_pages(body);
}

}  // namespace

TEST_CASE("tree_proof: digests, proof nodes and verifiedBy match every hypercore 8.14 case") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  const auto& cases = vectors.at("proof");
  REQUIRE(cases.size() == 13);
  for (const auto& c : cases) {
    const uint64_t uploader_blocks = c.at("uploaderBlocks").get<uint64_t>();
    const uint64_t block = c.at("block").get<uint64_t>();
    const auto requester_nodes = c.at("requesterNodes").get<std::vector<uint64_t>>();
    CAPTURE(uploader_blocks);
    CAPTURE(block);
    CAPTURE(requester_nodes.size());

    CoreBitfield requester;
    for (uint64_t n : requester_nodes) {
      requester.set_node(n);
    }
    CHECK(set_nodes(requester) == c.at("requesterTreeBitsAfterSet").get<std::vector<uint64_t>>());
    const uint64_t digest = proof_digest(requester, 2 * block);
    CHECK(digest == c.at("requestNodesDigest").get<uint64_t>());

    const CoreBitfield uploader = writer_tree(uploader_blocks);
    std::set<uint64_t> remote;
    auto proof = build_proof(uploader, 2 * block, digest, false, remote);
    REQUIRE(proof.ok());
    CHECK(proof->nodes == c.at("proofNodes").get<std::vector<uint64_t>>());
    CHECK(proof->verified_by == c.at("verifiedBy").get<uint64_t>());
    if (c.at("signatureForLength").is_null()) {
      CHECK(proof->verified_by == 0);
    } else {
      CHECK(proof->verified_by / 2 == c.at("signatureForLength").get<uint64_t>());
    }

    std::set<uint64_t> fresh;
    auto hash_proof = build_proof(uploader, 2 * block, digest, true, fresh);
    REQUIRE(hash_proof.ok());
    CHECK(hash_proof->nodes == c.at("proofNodesWhenHashRequested").get<std::vector<uint64_t>>());
    CHECK(hash_proof->verified_by == proof->verified_by);
  }
}

TEST_CASE("tree_proof: spec §6.3 digest examples") {
  CoreBitfield a;
  for (uint64_t n : {8, 9, 10}) {
    a.set_node(n);
  }
  CHECK(proof_digest(a, 14) == 4);
  CoreBitfield b;
  for (uint64_t n = 0; n <= 6; ++n) {
    b.set_node(n);
  }
  CHECK(proof_digest(b, 10) == 8);
  CoreBitfield c;
  for (uint64_t n : {0, 1, 2, 4}) {
    c.set_node(n);
  }
  CHECK(proof_digest(c, 4) == 1);
  CHECK(proof_digest(CoreBitfield{}, 4) == 0);
}

TEST_CASE("tree_proof: verified_by of writer trees is twice their length") {
  for (uint64_t blocks = 1; blocks <= 40; ++blocks) {
    CAPTURE(blocks);
    const CoreBitfield bits = writer_tree(blocks);
    for (uint64_t b = 0; b < blocks; ++b) {
      CHECK(verified_by(bits, 2 * b) == 2 * blocks);
    }
    CHECK(verified_by(bits, 2 * blocks) == 0);
  }
}

TEST_CASE("tree_proof: missing node is an error and the remote set persists") {
  const CoreBitfield bits = writer_tree(3);
  std::set<uint64_t> remote;
  auto missing = build_proof(bits, 6, 0, false, remote);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Errc::NotFound);

  // Spec §6.4 example.
  auto first = build_proof(bits, 2, 0, false, remote);
  REQUIRE(first.ok());
  CHECK(first->nodes == std::vector<uint64_t>{0, 4});
  CHECK(first->verified_by == 6);
  // A digest naming the sibling (bit 1) lets the uploader leave node 0 out; the remote still
  // needs the other root and the signature.
  std::set<uint64_t> remote2;
  auto second = build_proof(bits, 2, 2, false, remote2);
  REQUIRE(second.ok());
  CHECK(remote2.contains(0));
  CHECK(second->nodes == std::vector<uint64_t>{4});
  CHECK(second->verified_by == 6);
  // Bit 0 says the top bit (node 1, the parent) is trusted: only the missing sibling goes.
  std::set<uint64_t> remote5;
  auto third = build_proof(bits, 2, 0b101, false, remote5);
  REQUIRE(third.ok());
  CHECK(third->nodes == std::vector<uint64_t>{0});
  CHECK(third->verified_by == 0);
  // Sibling and trusted parent: nothing but the data.
  std::set<uint64_t> remote6;
  auto fourth = build_proof(bits, 2, 0b111, false, remote6);
  REQUIRE(fourth.ok());
  CHECK(fourth->nodes.empty());
  CHECK(fourth->verified_by == 0);
  // Absurd digests from a peer terminate.
  std::set<uint64_t> remote3;
  CHECK(build_proof(bits, 2, ~uint64_t{0}, false, remote3).ok());
  std::set<uint64_t> remote4;
  CHECK(build_proof(bits, 2, ~uint64_t{0} - 1, true, remote4).ok());
}

TEST_CASE("tree_proof: local length after reopening") {
  for (uint64_t blocks = 0; blocks <= 70; ++blocks) {
    CAPTURE(blocks);
    CoreBitfield written = writer_tree(blocks);
    const CoreBitfield bits = reopen(written);
    CHECK(local_length_from_bitfield(bits) == blocks);
  }
  // A sparse replica that verified block 1 of a 3-block log holds nodes 0, 2, 4 (and 1).
  CoreBitfield replica;
  for (uint64_t n : {2, 0, 4}) {
    replica.set_node(n);
  }
  const CoreBitfield reopened = reopen(replica);
  CHECK(local_length_from_bitfield(reopened) == 3);
  // A tree far beyond the first page.
  CoreBitfield big = writer_tree(20000);
  CHECK(local_length_from_bitfield(reopen(big)) == 20000);
}
