// A decoded hypertrie node (key, value, flags, routing table, digit path) and the node codec,
// byte-compatible with hypertrie 4.8.0 (spec hypertrie.md §3, §6). Value type; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trie/key_path.hpp"
#include "trie/routing_table.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace hypermount::trie {

// Bit 0 of the stored flags: the key lives in the hidden namespace (§6).
inline constexpr uint64_t kHiddenFlag = 1;
// User flags sit above the 8 internal bits (§6).
inline constexpr unsigned kUserFlagsShift = 8;

class Node {
 public:
  // A node for `key` (normalized here) with stored flags `flags` (hidden bit + user flags << 8).
  Node(std::string_view key, std::optional<Bytes> value, uint64_t flags);

  const std::string& key() const { return key_; }
  const std::optional<Bytes>& value() const { return value_; }
  // The block index of this node (0 until a put assigns it).
  uint64_t seq() const { return seq_; }
  // Stored flags: (user flags << 8) | hidden.
  uint64_t stored_flags() const { return flags_; }
  uint64_t user_flags() const { return flags_ >> kUserFlagsShift; }
  bool hidden() const { return (flags_ & kHiddenFlag) != 0; }
  const std::vector<std::string>& components() const { return components_; }
  const Bytes& hash() const { return hash_; }
  const RoutingTable& trie() const { return trie_; }

  // Number of digits in the path (32 per component + 2).
  uint64_t length() const { return path_length(hash_); }
  uint8_t digit(uint64_t i) const { return path_digit(hash_, hidden(), i); }
  // "This node collides with `other` at index i" (§4.4): never at 0; at this node's last
  // index when the keys differ; else when the component strings at (i-1)/32 differ.
  bool collides(const Node& other, uint64_t i) const;

  void set_seq(uint64_t seq) { seq_ = seq; }
  RoutingTable& mutable_trie() { return trie_; }

 private:
  std::string key_;
  std::optional<Bytes> value_;
  uint64_t flags_ = 0;
  uint64_t seq_ = 0;
  std::vector<std::string> components_;
  Bytes hash_;
  RoutingTable trie_;
};

using NodePtr = std::shared_ptr<const Node>;

// The block bytes of a node: fields 1..5 with hypertrie 4's presence rules (§3).
Bytes encode_node(const Node& node);
// Parses block `seq`. Corrupt (never a crash) for anything that is not a valid Node message or
// whose trieBuffer does not parse. The seq field inside the block is ignored, as in the JS.
Result<Node> decode_node(ByteView block, uint64_t seq);

// Block 0 (§2).
struct Header {
  std::string type = "hypertrie";
  std::optional<Bytes> metadata;
  // hypertrie 5 only; read if present, written only when set.
  std::optional<std::string> subtype;
};

inline constexpr std::string_view kHeaderType = "hypertrie";

Bytes encode_header(const Header& header);
// Corrupt when block 0 is not a Header message (a missing `type` included).
Result<Header> decode_header(ByteView block);

}  // namespace hypermount::trie
