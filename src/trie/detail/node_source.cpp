#include "trie/detail/node_source.hpp"

namespace hypermount::trie::detail {

Result<NodePtr> NodeSource::node(uint64_t seq) {
  if (overlay_ != nullptr && seq >= overlay_offset_ && seq - overlay_offset_ < overlay_->size()) {
    return (*overlay_)[seq - overlay_offset_];
  }
  if (seq < 1) {
    return NodePtr{};
  }
  NodePtr node = cache_.find(seq);
  if (!node) {
    auto bytes = reader_.block(seq);
    if (!bytes) {
      if (bytes.error().code() == Errc::Unavailable && missing_set_.insert(seq).second) {
        missing_.push_back(seq);
      }
      return bytes.error();
    }
    auto decoded = decode_node(*bytes, seq);
    if (!decoded) {
      return decoded.error();
    }
    node = std::make_shared<const Node>(std::move(*decoded));
    cache_.insert(seq, node);
  }
  if (node->key().empty()) {
    return NodePtr{};
  }
  return node;
}

}  // namespace hypermount::trie::detail
