// Merkle hashing, roots and signatures against the JS vectors (hypercore-tree.json).
#include "core/merkle.hpp"

#include <doctest/doctest.h>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::core;

namespace {
Bytes hex(const std::string& text) { return *from_hex(text); }
crypto::KeyPair vector_keys(const nlohmann::json& v) {
  REQUIRE(crypto::init());
  return crypto::key_pair_from_seed(*array_from_hex<32>(v["keyPair"]["seed"].get<std::string>()));
}
}  // namespace

TEST_CASE("merkle: key pair and discovery key from the vector seed") {
  auto v = test::load_vectors("hypercore-tree.json");
  auto keys = vector_keys(v);
  CHECK(to_hex(keys.public_key) == v["keyPair"]["publicKey"]);
  CHECK(to_hex(keys.secret_key.bytes()) == v["keyPair"]["secretKey"]);
  CHECK(to_hex(crypto::discovery_key(keys.public_key)) == v["keyPair"]["discoveryKey"]);
}

TEST_CASE("merkle: leaf and parent hashes") {
  auto v = test::load_vectors("hypercore-tree.json");
  Node leaf0 = leaf_node(0, as_bytes("hello"));
  CHECK(to_hex(leaf0.hash) == v["hashExamples"]["leaf0"]["hash"]);
  CHECK(leaf0.size == 5);
  Node leaf2 = leaf_node(1, as_bytes("world"));
  Node parent1 = parent_node(leaf0, leaf2);
  CHECK(parent1.index == 1);
  CHECK(parent1.size == 10);
  CHECK(to_hex(parent1.hash) == v["hashExamples"]["parent1"]["hash"]);
}

TEST_CASE("merkle: every append creates the vector's nodes, roots, tree hash and signatures") {
  auto v = test::load_vectors("hypercore-tree.json");
  auto keys = vector_keys(v);
  std::vector<Node> roots;
  uint64_t byte_length = 0;
  for (const auto& step : v["lengths"]) {
    uint64_t length = step["length"];
    Bytes block = hex(v["blocks"][length - 1]["hex"]);
    byte_length += block.size();
    std::vector<Node> created;
    push_leaf(roots, leaf_node(length - 1, block), created);
    CAPTURE(length);
    REQUIRE(created.size() == step["newNodes"].size());
    for (size_t i = 0; i < created.size(); ++i) {
      CHECK(created[i].index == step["newNodes"][i]["index"]);
      CHECK(created[i].size == step["newNodes"][i]["size"]);
      CHECK(to_hex(created[i].hash) == step["newNodes"][i]["hash"]);
    }
    REQUIRE(roots.size() == step["roots"].size());
    for (size_t i = 0; i < roots.size(); ++i) CHECK(roots[i].index == step["roots"][i]["index"]);
    CHECK(byte_length == step["byteLength"]);
    crypto::Hash tree = tree_hash(roots);
    CHECK(to_hex(tree) == step["treeHash"]);
    auto sig8 = crypto::sign(signable_v8(tree), keys.secret_key);
    CHECK(to_hex(sig8) == step["hypercore8"]["signature"]);
    CHECK(to_hex(signable_v9(tree, length)) == step["hypercore9"]["signedMessage"]);
    auto sig9 = *array_from_hex<64>(step["hypercore9"]["signature"].get<std::string>());
    CHECK(verify_roots(roots, length, sig8, keys.public_key));
    CHECK(verify_roots(roots, length, sig9, keys.public_key));
    CHECK_FALSE(verify_roots(roots, length + 1, sig9, keys.public_key));
  }
}
