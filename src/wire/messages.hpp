// Typed replication messages (wire.md §6) and their protobuf body codec.
// Plain values and pure functions; usable from any thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hypermount::wire {

// The 4-bit type in a frame header (wire.md §2.2, §6). 11..14 are ignored by receivers.
enum class MessageType : uint8_t {
  Open = 0,
  Options = 1,
  Status = 2,
  Have = 3,
  Unhave = 4,
  Want = 5,
  Unwant = 6,
  Request = 7,
  Cancel = 8,
  Data = 9,
  Close = 10,
  Extension = 15,
};

// Optional fields are std::optional because presence is on the wire: the reference writes
// every field that is set, defaults included, and an encoder must do the same to produce
// identical bytes. Decoding fills exactly the fields that were present; the *_or_default
// helpers apply the schema defaults.

struct Open {
  Bytes discovery_key;
  std::optional<Bytes> capability;
  bool operator==(const Open&) const = default;
};

struct Options {
  std::vector<std::string> extensions;  // sorted; index = extension id the sender uses
  std::optional<bool> ack;
  bool operator==(const Options&) const = default;
};

struct StatusMessage {
  std::optional<bool> uploading;  // absent decodes as false: always send both
  std::optional<bool> downloading;
  bool operator==(const StatusMessage&) const = default;
};

struct Have {
  uint64_t start = 0;
  std::optional<uint64_t> length;  // default 1
  std::optional<Bytes> bitfield;
  std::optional<bool> ack;
  uint64_t length_or_default() const { return length.value_or(1); }
  bool operator==(const Have&) const = default;
};

struct Unhave {
  uint64_t start = 0;
  std::optional<uint64_t> length;  // default 1
  uint64_t length_or_default() const { return length.value_or(1); }
  bool operator==(const Unhave&) const = default;
};

struct Want {
  uint64_t start = 0;
  std::optional<uint64_t> length;  // default 0: "to the end" for hypercore
  bool operator==(const Want&) const = default;
};

struct Unwant {
  uint64_t start = 0;
  std::optional<uint64_t> length;
  bool operator==(const Unwant&) const = default;
};

struct Request {
  uint64_t index = 0;
  std::optional<uint64_t> bytes;
  std::optional<bool> hash;
  std::optional<uint64_t> nodes;
  bool operator==(const Request&) const = default;
};

struct Cancel {
  uint64_t index = 0;
  std::optional<uint64_t> bytes;
  std::optional<bool> hash;
  bool operator==(const Cancel&) const = default;
};

struct DataNode {
  uint64_t index = 0;
  Bytes hash;
  uint64_t size = 0;
  bool operator==(const DataNode&) const = default;
};

struct Data {
  uint64_t index = 0;
  std::optional<Bytes> value;  // absent: hash-only reply; present and empty: empty block
  std::vector<DataNode> nodes;
  std::optional<Bytes> signature;
  bool operator==(const Data&) const = default;
};

struct Close {
  std::optional<Bytes> discovery_key;  // only when the sender never opened the channel
  bool operator==(const Close&) const = default;
};

// Type 15: varint(id) || payload, id = index in the sender's sorted extension list (§8).
struct Extension {
  uint64_t id = 0;
  Bytes payload;
  bool operator==(const Extension&) const = default;
};

// Alternatives are in type order 0..10, then Extension.
using Message = std::variant<Open, Options, StatusMessage, Have, Unhave, Want, Unwant, Request,
                             Cancel, Data, Close, Extension>;

MessageType message_type(const Message& message);
const char* message_type_name(MessageType type);

// The body of a frame (protobuf, or the extension layout for type 15).
Bytes encode_body(const Message& message);

// Decodes the body of a frame of type 0..10 or 15. Error::protocol on a malformed body or a
// missing required field (the reference destroys the stream); Error::unsupported for types
// 11..14, which callers ignore.
Result<Message> decode_body(MessageType type, ByteView body);

// The handshake payload NoisePayload{nonce} (wire.md §3.2).
Bytes encode_noise_payload(ByteView nonce);
// Error::protocol unless the payload parses and carries a nonce of 24 bytes.
Result<ByteArray<24>> decode_noise_payload(ByteView payload);

}  // namespace hypermount::wire
