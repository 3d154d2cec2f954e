#include "trie/node.hpp"

#include <limits>

#include "hypertrie.pb.h"

namespace hypermount::trie {

namespace {

std::string to_string(ByteView bytes) { return std::string(as_chars(bytes)); }

bool fits_int(size_t size) {
  return size <= static_cast<size_t>(std::numeric_limits<int>::max());
}

}  // namespace

Node::Node(std::string_view key, std::optional<Bytes> value, uint64_t flags)
    : key_(normalize_key(key)), value_(std::move(value)), flags_(flags) {
  components_ = split_key(key_);
  hash_ = hash_components(components_);
}

bool Node::collides(const Node& other, uint64_t i) const {
  if (i == 0) {
    return false;
  }
  if (i == length() - 1) {
    return key_ != other.key_;
  }
  const uint64_t j = (i - 1) / kDigitsPerComponent;
  const bool mine = j < components_.size();
  const bool theirs = j < other.components_.size();
  if (!mine || !theirs) {
    // JS compares undefined: two missing components are equal, one missing differs.
    return mine != theirs;
  }
  return components_[j] != other.components_[j];
}

Bytes encode_node(const Node& node) {
  pb::Node msg;
  msg.set_key(node.key());
  if (node.value()) {
    msg.set_valuebuffer(to_string(*node.value()));
  }
  msg.set_triebuffer(to_string(node.trie().encode()));
  msg.set_seq(node.seq());
  msg.set_flags(node.stored_flags());
  std::string out = msg.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

Result<Node> decode_node(ByteView block, uint64_t seq) {
  pb::Node msg;
  // ParsePartial + an explicit required-field check: ParseFromArray would log every bad block.
  if (!fits_int(block.size()) ||
      !msg.ParsePartialFromArray(block.data(), static_cast<int>(block.size())) || !msg.has_key()) {
    return Error::corrupt("trie node {}: not a Node message ({} bytes)", seq, block.size());
  }
  std::optional<Bytes> value;
  if (msg.has_valuebuffer()) {
    value = Bytes(msg.valuebuffer().begin(), msg.valuebuffer().end());
  }
  Node node(msg.key(), std::move(value), msg.flags());
  node.set_seq(seq);
  // An absent trieBuffer decodes as an empty table (JS: data.trie || []); a present one must
  // parse, even when empty (the JS varint decoder throws on it).
  if (msg.has_triebuffer()) {
    auto table = RoutingTable::decode(as_bytes(msg.triebuffer()));
    if (!table) {
      return Error::corrupt("trie node {}: {}", seq, table.error().message());
    }
    node.mutable_trie() = std::move(*table);
  }
  return node;
}

Bytes encode_header(const Header& header) {
  pb::Header msg;
  msg.set_type(header.type);
  if (header.metadata) {
    msg.set_metadata(to_string(*header.metadata));
  }
  if (header.subtype) {
    msg.set_subtype(*header.subtype);
  }
  std::string out = msg.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

Result<Header> decode_header(ByteView block) {
  pb::Header msg;
  if (!fits_int(block.size()) ||
      !msg.ParsePartialFromArray(block.data(), static_cast<int>(block.size())) || !msg.has_type()) {
    return Error::corrupt("trie header: block 0 is not a Header message ({} bytes)", block.size());
  }
  Header header;
  header.type = msg.type();
  if (msg.has_metadata()) {
    header.metadata = Bytes(msg.metadata().begin(), msg.metadata().end());
  }
  if (msg.has_subtype()) {
    header.subtype = msg.subtype();
  }
  return header;
}

}  // namespace hypermount::trie
