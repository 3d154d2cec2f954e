// The dht-rpc 4.9.6 datagram: one protobuf Message per UDP packet (spec swarm.md §3.1, §3.2).
// Plain values and pure functions; usable from any thread.
#pragma once

#include "swarm/address.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace hypermount::swarm {

enum class MessageType : uint8_t { Query = 1, Update = 2, Response = 3 };

// The protocol version every JS node sends and expects (swarm.md §3.2).
constexpr uint64_t kDhtVersion = 1;
// A datagram larger than this is dropped unread; the largest JS datagrams are about 2 KB.
constexpr size_t kMaxDatagramSize = 65536;

// Every optional field keeps its presence: an empty `value` or `error` is on the wire as
// `tag 00`, and JS nodes crash on some requests without `value` (swarm.md §4.1).
struct Message {
  std::optional<uint64_t> version;
  MessageType type = MessageType::Query;
  uint64_t rid = 0;
  std::optional<Bytes> to;  // the recipient's compact address as the sender sees it
  std::optional<Bytes> id;  // the sender's node id (persistent nodes only)
  std::optional<Bytes> target;
  std::optional<Bytes> closer_nodes;
  std::optional<Bytes> roundtrip_token;
  std::optional<std::string> command;
  std::optional<std::string> error;
  std::optional<Bytes> value;
  bool operator==(const Message&) const = default;

  // The sender's id when it counts: 32 bytes and a version of at least 1 (swarm.md §3.2).
  std::optional<NodeId> sender_id() const;
  std::optional<Ipv4Address> to_address() const;
};

// Encodes in the JS field order (11, 1, 2, 10, 3..9), so our bytes equal a JS node's.
Bytes encode_message(const Message& message);
// Decodes one datagram. Protocol error on a parse failure, a missing type or rid, an unknown
// type, or an `id` of a length other than 32 (JS drops all of these). Unknown fields are
// skipped.
Result<Message> decode_message(ByteView datagram);

}  // namespace hypermount::swarm
