#include "core/flat_tree.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "vectors.hpp"

namespace ft = hypermount::core::flat_tree;

TEST_CASE("flat_tree: every function matches the flat-tree@1.13.0 table") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  const auto& nodes = vectors.at("flatTree").at("nodes");
  REQUIRE(nodes.size() == 31);
  for (const auto& row : nodes) {
    const uint64_t i = row.at("index").get<uint64_t>();
    CAPTURE(i);
    CHECK(ft::depth(i) == row.at("depth").get<uint64_t>());
    CHECK(ft::offset(i) == row.at("offset").get<uint64_t>());
    CHECK(ft::parent(i) == row.at("parent").get<uint64_t>());
    CHECK(ft::sibling(i) == row.at("sibling").get<uint64_t>());
    CHECK(ft::left_span(i) == row.at("leftSpan").get<uint64_t>());
    CHECK(ft::right_span(i) == row.at("rightSpan").get<uint64_t>());
    CHECK(ft::index(ft::depth(i), ft::offset(i)) == i);
    CHECK(ft::is_left(i) == (ft::offset(i) % 2 == 0));
    if (ft::depth(i) == 0) {
      // The reference answers -1 for the children of a leaf; ours must not be called.
      CHECK(row.at("leftChild").get<int64_t>() == -1);
      CHECK(row.at("rightChild").get<int64_t>() == -1);
    } else {
      CHECK(ft::left_child(i) == row.at("leftChild").get<uint64_t>());
      CHECK(ft::right_child(i) == row.at("rightChild").get<uint64_t>());
    }
  }
}

TEST_CASE("flat_tree: full_roots matches the table for 0..16 blocks") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  const auto& table = vectors.at("flatTree").at("fullRoots");
  REQUIRE(table.size() == 17);
  for (const auto& row : table) {
    const uint64_t blocks = row.at("blocks").get<uint64_t>();
    CAPTURE(blocks);
    CHECK(ft::full_roots(2 * blocks) == row.at("fullRoots").get<std::vector<uint64_t>>());
  }
}

TEST_CASE("flat_tree: spec §2 examples and the leaf helper") {
  CHECK(ft::full_roots(2 * 7) == std::vector<uint64_t>{3, 9, 12});
  CHECK(ft::full_roots(2 * 13) == std::vector<uint64_t>{7, 19, 24});
  CHECK(ft::leaf(5) == 10);
  // Large indices stay exact (no floating point): root of 2^40 blocks.
  const uint64_t big = uint64_t{1} << 40;
  CHECK(ft::full_roots(2 * big) == std::vector<uint64_t>{big - 1});
  CHECK(ft::parent(big - 1) == 2 * big - 1);
}
