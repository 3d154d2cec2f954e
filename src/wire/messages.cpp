#include "wire/messages.hpp"

#include "util/varint.hpp"
#include "wire/data_message.hpp"
#include "wire.pb.h"

#include <string>
#include <type_traits>

namespace hypermount::wire {
namespace {

std::string to_string_bytes(ByteView bytes) { return std::string(as_chars(bytes)); }
// Copies through byte pointers, so the vector copies with one memmove (a char-iterator range
// converts element by element).
Bytes to_bytes(const std::string& text) {
  const auto* data = reinterpret_cast<const uint8_t*>(text.data());
  return Bytes(data, data + text.size());
}

// Serialization of a lite message cannot fail for our sizes (bodies are far below 2 GiB).
Bytes serialize(const google::protobuf::MessageLite& message) {
  std::string out = message.SerializeAsString();
  return to_bytes(out);
}

// Parsing never throws; a false return covers malformed input and missing required fields.
template <typename Pb>
Result<Pb> parse(ByteView body, const char* name) {
  Pb pb;
  if (body.size() > static_cast<size_t>(INT32_MAX) ||
      !pb.ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
    return Error::protocol("could not decode {} message of {} bytes", name, body.size());
  }
  // Checked here rather than by ParseFromArray, which logs every failure to stderr.
  if (!pb.IsInitialized()) {
    return Error::protocol("{} message lacks a required field", name);
  }
  return pb;
}

Bytes encode(const Open& m) {
  pb::Open pb;
  pb.set_discoverykey(to_string_bytes(m.discovery_key));
  if (m.capability) pb.set_capability(to_string_bytes(*m.capability));
  return serialize(pb);
}
Bytes encode(const Options& m) {
  pb::Options pb;
  for (const std::string& name : m.extensions) pb.add_extensions(name);
  if (m.ack) pb.set_ack(*m.ack);
  return serialize(pb);
}
Bytes encode(const StatusMessage& m) {
  pb::Status pb;
  if (m.uploading) pb.set_uploading(*m.uploading);
  if (m.downloading) pb.set_downloading(*m.downloading);
  return serialize(pb);
}
Bytes encode(const Have& m) {
  pb::Have pb;
  pb.set_start(m.start);
  if (m.length) pb.set_length(*m.length);
  if (m.bitfield) pb.set_bitfield(to_string_bytes(*m.bitfield));
  if (m.ack) pb.set_ack(*m.ack);
  return serialize(pb);
}
Bytes encode(const Unhave& m) {
  pb::Unhave pb;
  pb.set_start(m.start);
  if (m.length) pb.set_length(*m.length);
  return serialize(pb);
}
Bytes encode(const Want& m) {
  pb::Want pb;
  pb.set_start(m.start);
  if (m.length) pb.set_length(*m.length);
  return serialize(pb);
}
Bytes encode(const Unwant& m) {
  pb::Unwant pb;
  pb.set_start(m.start);
  if (m.length) pb.set_length(*m.length);
  return serialize(pb);
}
Bytes encode(const Request& m) {
  pb::Request pb;
  pb.set_index(m.index);
  if (m.bytes) pb.set_bytes(*m.bytes);
  if (m.hash) pb.set_hash(*m.hash);
  if (m.nodes) pb.set_nodes(*m.nodes);
  return serialize(pb);
}
Bytes encode(const Cancel& m) {
  pb::Cancel pb;
  pb.set_index(m.index);
  if (m.bytes) pb.set_bytes(*m.bytes);
  if (m.hash) pb.set_hash(*m.hash);
  return serialize(pb);
}
Bytes encode(const Data& m) {
  Bytes out;
  out.reserve(data_body_size(m));
  append_data_body(out, m);
  return out;
}
Bytes encode(const Close& m) {
  pb::Close pb;
  if (m.discovery_key) pb.set_discoverykey(to_string_bytes(*m.discovery_key));
  return serialize(pb);
}
Bytes encode(const Extension& m) {
  Bytes out;
  out.reserve(varint_size(m.id) + m.payload.size());
  put_varint(out, m.id);
  out.insert(out.end(), m.payload.begin(), m.payload.end());
  return out;
}

template <typename T>
std::optional<T> opt(bool present, T value) {
  return present ? std::optional<T>(std::move(value)) : std::nullopt;
}

Result<Message> decode_pb(MessageType type, ByteView body) {
  const char* name = message_type_name(type);
  switch (type) {
    case MessageType::Open: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Open>(body, name));
      return Message(Open{to_bytes(pb.discoverykey()),
                          opt(pb.has_capability(), to_bytes(pb.capability()))});
    }
    case MessageType::Options: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Options>(body, name));
      Options m;
      m.extensions.assign(pb.extensions().begin(), pb.extensions().end());
      m.ack = opt(pb.has_ack(), pb.ack());
      return Message(std::move(m));
    }
    case MessageType::Status: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Status>(body, name));
      return Message(StatusMessage{opt(pb.has_uploading(), pb.uploading()),
                                   opt(pb.has_downloading(), pb.downloading())});
    }
    case MessageType::Have: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Have>(body, name));
      return Message(Have{pb.start(), opt(pb.has_length(), pb.length()),
                          opt(pb.has_bitfield(), to_bytes(pb.bitfield())),
                          opt(pb.has_ack(), pb.ack())});
    }
    case MessageType::Unhave: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Unhave>(body, name));
      return Message(Unhave{pb.start(), opt(pb.has_length(), pb.length())});
    }
    case MessageType::Want: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Want>(body, name));
      return Message(Want{pb.start(), opt(pb.has_length(), pb.length())});
    }
    case MessageType::Unwant: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Unwant>(body, name));
      return Message(Unwant{pb.start(), opt(pb.has_length(), pb.length())});
    }
    case MessageType::Request: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Request>(body, name));
      return Message(Request{pb.index(), opt(pb.has_bytes(), pb.bytes()),
                             opt(pb.has_hash(), pb.hash()), opt(pb.has_nodes(), pb.nodes())});
    }
    case MessageType::Cancel: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Cancel>(body, name));
      return Message(Cancel{pb.index(), opt(pb.has_bytes(), pb.bytes()),
                            opt(pb.has_hash(), pb.hash())});
    }
    case MessageType::Data: {
      auto m = decode_data_body(body);
      if (!m) return m.error();
      return Message(std::move(m).value());
    }
    case MessageType::Close: {
      HM_TRY_ASSIGN(auto pb, parse<pb::Close>(body, name));
      return Message(Close{opt(pb.has_discoverykey(), to_bytes(pb.discoverykey()))});
    }
    case MessageType::Extension: {
      ByteView rest = body;
      auto id = get_varint(rest);
      if (!id) return Error::protocol("extension message without a valid id");
      return Message(Extension{*id, Bytes(rest.begin(), rest.end())});
    }
  }
  return Error::unsupported("message type {} is not defined", static_cast<int>(type));
}

}  // namespace

MessageType message_type(const Message& message) {
  size_t index = message.index();
  if (index == std::variant_size_v<Message> - 1) return MessageType::Extension;
  return static_cast<MessageType>(index);
}

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::Open: return "Open";
    case MessageType::Options: return "Options";
    case MessageType::Status: return "Status";
    case MessageType::Have: return "Have";
    case MessageType::Unhave: return "Unhave";
    case MessageType::Want: return "Want";
    case MessageType::Unwant: return "Unwant";
    case MessageType::Request: return "Request";
    case MessageType::Cancel: return "Cancel";
    case MessageType::Data: return "Data";
    case MessageType::Close: return "Close";
    case MessageType::Extension: return "Extension";
  }
  return "unknown";
}

Bytes encode_body(const Message& message) {
  return std::visit([](const auto& m) { return encode(m); }, message);
}

Result<Message> decode_body(MessageType type, ByteView body) {
  uint8_t raw = static_cast<uint8_t>(type);
  if (raw > static_cast<uint8_t>(MessageType::Close) && type != MessageType::Extension) {
    return Error::unsupported("message type {} is not defined", raw);
  }
  return decode_pb(type, body);
}

Bytes encode_noise_payload(ByteView nonce) {
  pb::NoisePayload pb;
  pb.set_nonce(to_string_bytes(nonce));
  return serialize(pb);
}

Result<ByteArray<24>> decode_noise_payload(ByteView payload) {
  HM_TRY_ASSIGN(auto pb, parse<pb::NoisePayload>(payload, "NoisePayload"));
  if (pb.nonce().size() != 24) {
    return Error::protocol("handshake payload nonce has {} bytes, not 24", pb.nonce().size());
  }
  ByteArray<24> nonce;
  std::copy(pb.nonce().begin(), pb.nonce().end(), nonce.begin());
  return nonce;
}

}  // namespace hypermount::wire
