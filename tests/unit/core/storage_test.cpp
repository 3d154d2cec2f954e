// CoreStorage's tree records and node cache: what it answers is always what the tree file holds, after
// writes, colliding indexes, a reopen, an append's roll back and a truncated record.
#include "core/storage.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.hpp"

using namespace hypermount;
using namespace hypermount::core;
using hypermount::test::TempDir;

namespace {

Node node_at(uint64_t index) {
  Node node{.index = index, .size = index + 1};
  node.hash.fill(static_cast<uint8_t>(index * 7 + 1));
  return node;
}

// A storage with its headers written, to write nodes into.
std::optional<CoreStorage> new_storage(const TempDir& dir) {
  auto storage = CoreStorage::open(dir.path(), store::OpenMode::ReadWrite);
  REQUIRE(storage);
  REQUIRE(storage->write_headers());
  return std::move(*storage);
}

std::optional<Node> read(const CoreStorage& storage, uint64_t index) {
  auto node = storage.read_node(index);
  REQUIRE(node);
  return *node;
}

}  // namespace

TEST_CASE("tree node cache: nodes whose indexes share a slot each read back as written") {
  TempDir dir;
  auto storage = new_storage(dir);
  // 4,096 nodes in a cache of 1,024 slots: most of them were evicted by a neighbour.
  std::vector<Node> nodes;
  for (uint64_t i = 0; i < 4096; ++i) nodes.push_back(node_at(i));
  REQUIRE(storage->write_nodes(nodes));
  for (uint64_t i = 0; i < 4096; ++i) CHECK(read(*storage, i) == node_at(i));
  CHECK(read(*storage, 4096) == std::nullopt);

  auto reopened = CoreStorage::open(dir.path(), store::OpenMode::ReadOnly);
  REQUIRE(reopened);
  for (uint64_t i = 0; i < 4096; i += 97) CHECK(read(*reopened, i) == node_at(i));
}

TEST_CASE("tree node cache: a rolled back append leaves no node past the cut") {
  TempDir dir;
  auto storage = new_storage(dir);
  REQUIRE(storage->write_nodes({node_at(0), node_at(1), node_at(2)}));
  CHECK(read(*storage, 2) == node_at(2));  // cached by the write and by this read

  std::vector<bool> no_holes;
  auto mark = storage->reserve_append(0, {}, no_holes, 2, 0, 0);
  REQUIRE(mark);
  REQUIRE(storage->write_nodes({node_at(3), node_at(4), node_at(5), node_at(6)}));
  CHECK(read(*storage, 6) == node_at(6));

  storage->roll_back(*mark);
  for (uint64_t i : {3, 4, 5, 6}) CHECK(read(*storage, i) == std::nullopt);
  for (uint64_t i : {0, 1, 2}) CHECK(read(*storage, i) == node_at(i));
}

TEST_CASE("tree records: read with their neighbours, an absent or truncated one fails only itself") {
  TempDir dir;
  {
    auto storage = new_storage(dir);
    std::vector<Node> nodes;
    for (uint64_t i = 0; i < 40; ++i) {
      if (i != 35) nodes.push_back(node_at(i));  // 35 is never written: a record of zeros
    }
    REQUIRE(storage->write_nodes(nodes));
  }
  // The last record (39) loses half of its bytes.
  const std::string tree = dir.path() + "/tree";
  REQUIRE(::truncate(tree.c_str(), 32 + 39 * 40 + 20) == 0);
  auto storage = CoreStorage::open(dir.path(), store::OpenMode::ReadOnly);
  REQUIRE(storage);
  CHECK(read(*storage, 33) == node_at(33));  // its read takes 32..39 along, 39 cut short
  CHECK(read(*storage, 35) == std::nullopt);
  CHECK(read(*storage, 38) == node_at(38));
  auto cut = storage->read_node(39);
  REQUIRE(!cut);
  CHECK(cut.error().code() == Errc::Corrupt);
  CHECK(read(*storage, 40) == std::nullopt);  // past the end
  CHECK(read(*storage, 31) == node_at(31));
}
