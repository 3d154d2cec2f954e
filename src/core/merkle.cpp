#include "core/merkle.hpp"

#include "core/flat_tree.hpp"

#include <sodium.h>

namespace hypermount::core {

namespace {
constexpr uint8_t kLeafType = 0x00;
constexpr uint8_t kParentType = 0x01;
constexpr uint8_t kRootType = 0x02;
}  // namespace

Node leaf_node(uint64_t block_index, ByteView data) {
  uint8_t header[9] = {kLeafType};
  put_u64be(header + 1, data.size());
  return Node{flat_tree::leaf(block_index), crypto::blake2b_256({header, data}), data.size()};
}

Node parent_node(const Node& left, const Node& right) {
  uint8_t header[9] = {kParentType};
  uint64_t size = left.size + right.size;
  put_u64be(header + 1, size);
  return Node{flat_tree::parent(left.index), crypto::blake2b_256({header, left.hash, right.hash}),
              size};
}

crypto::Hash tree_hash(const std::vector<Node>& roots) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, crypto::kHashSize);
  uint8_t type = kRootType;
  crypto_generichash_update(&state, &type, 1);
  for (const Node& root : roots) {
    uint8_t numbers[16];
    put_u64be(numbers, root.index);
    put_u64be(numbers + 8, root.size);
    crypto_generichash_update(&state, root.hash.data(), root.hash.size());
    crypto_generichash_update(&state, numbers, sizeof numbers);
  }
  crypto::Hash out;
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

ByteArray<32> signable_v8(const crypto::Hash& tree) { return tree; }

ByteArray<40> signable_v9(const crypto::Hash& tree, uint64_t length) {
  ByteArray<40> out;
  std::copy(tree.begin(), tree.end(), out.begin());
  put_u64be(out.data() + 32, length);
  return out;
}

bool verify_roots(const std::vector<Node>& roots, uint64_t length, const crypto::Signature& sig,
                  const crypto::PublicKey& key) {
  crypto::Hash tree = tree_hash(roots);
  return crypto::verify(signable_v9(tree, length), sig, key) ||
         crypto::verify(signable_v8(tree), sig, key);
}

void push_leaf(std::vector<Node>& roots, const Node& leaf, std::vector<Node>& created) {
  roots.push_back(leaf);
  created.push_back(leaf);
  while (roots.size() >= 2) {
    const Node& left = roots[roots.size() - 2];
    const Node& right = roots.back();
    if (flat_tree::parent(left.index) != flat_tree::parent(right.index)) break;
    Node merged = parent_node(left, right);
    roots.pop_back();
    roots.back() = merged;
    created.push_back(merged);
  }
}

}  // namespace hypermount::core
