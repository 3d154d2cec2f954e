// Full re-verification of a core folder: every present block and node re-hashed, the roots
// checked against the stored signature (what `hypermount core verify` runs).
#include "core/core.hpp"
#include "core/flat_tree.hpp"

namespace hypermount::core {

namespace {

// Verifies the subtree under `node` (already trusted) against what is stored below it and
// counts the blocks it checked.
class SubtreeVerifier {
 public:
  SubtreeVerifier(const Core& core, const CoreStorage& storage)
      : core_(core), storage_(storage) {}

  Status verify(const Node& node) {
    if (flat_tree::depth(node.index) == 0) return verify_leaf(node);
    auto left = child(flat_tree::left_child(node.index));
    if (!left) return left.error();
    auto right = child(flat_tree::right_child(node.index));
    if (!right) return right.error();
    if (*left && *right && parent_node(**left, **right) != node) {
      return Error::corrupt("{}/tree: node {} does not match the hash of its children {} and {}",
                            core_.dir(), node.index, (*left)->index, (*right)->index);
    }
    if (*left) HM_TRY(verify(**left));
    if (*right) HM_TRY(verify(**right));
    return {};
  }

  uint64_t blocks() const { return blocks_; }

 private:
  Result<std::optional<Node>> child(uint64_t index) {
    if (!core_.bitfield().has_node(index)) return std::optional<Node>();
    return storage_.read_node(index);
  }

  Status verify_leaf(const Node& leaf) {
    uint64_t block = leaf.index / 2;
    if (!core_.bitfield().has_block(block)) return {};
    auto bytes = core_.get(block);
    if (!bytes) return bytes.error();
    ++blocks_;
    return {};
  }

  const Core& core_;
  const CoreStorage& storage_;
  uint64_t blocks_ = 0;
};

}  // namespace

Result<uint64_t> Core::verify_all() const {
  if (length_ == 0) return uint64_t{0};
  HM_TRY_ASSIGN(auto sig, storage_.read_signature(length_ - 1));
  if (!sig) {
    return Error::corrupt("{}/signatures: no signature for length {}", dir(), length_);
  }
  if (!verify_roots(roots_, length_, *sig, key_)) {
    return Error::corrupt("{}/signatures: signature {} does not verify the roots in {}/tree",
                          dir(), length_ - 1, dir());
  }
  SubtreeVerifier verifier(*this, storage_);
  for (const Node& root : roots_) HM_TRY(verifier.verify(root));
  return verifier.blocks();
}

}  // namespace hypermount::core
