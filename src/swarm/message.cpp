#include "swarm/message.hpp"

#include "swarm/detail/proto_fields.hpp"

namespace hypermount::swarm {

namespace {

// Field numbers of dht-rpc's Message schema (swarm.md §3.2).
enum FieldNumber : uint32_t {
  kType = 1,
  kRid = 2,
  kId = 3,
  kTarget = 4,
  kCloserNodes = 5,
  kRoundtripToken = 6,
  kCommand = 7,
  kError = 8,
  kValue = 9,
  kTo = 10,
  kVersion = 11,
};

void put_optional(Bytes& out, uint32_t number, const std::optional<Bytes>& field) {
  if (field) detail::put_bytes_field(out, number, *field);
}

void put_optional(Bytes& out, uint32_t number, const std::optional<std::string>& field) {
  if (field) detail::put_string_field(out, number, *field);
}

Bytes copy(ByteView view) { return Bytes(view.begin(), view.end()); }

}  // namespace

std::optional<NodeId> Message::sender_id() const {
  if (!id || id->size() != kIdSize || version.value_or(0) < kDhtVersion) return std::nullopt;
  NodeId out;
  std::copy(id->begin(), id->end(), out.begin());
  return out;
}

std::optional<Ipv4Address> Message::to_address() const {
  if (!to) return std::nullopt;
  return decode_peer(*to);
}

Bytes encode_message(const Message& m) {
  Bytes out;
  if (m.version) detail::put_varint_field(out, kVersion, *m.version);
  detail::put_varint_field(out, kType, static_cast<uint64_t>(m.type));
  detail::put_varint_field(out, kRid, m.rid);
  put_optional(out, kTo, m.to);
  put_optional(out, kId, m.id);
  put_optional(out, kTarget, m.target);
  put_optional(out, kCloserNodes, m.closer_nodes);
  put_optional(out, kRoundtripToken, m.roundtrip_token);
  put_optional(out, kCommand, m.command);
  put_optional(out, kError, m.error);
  put_optional(out, kValue, m.value);
  return out;
}

Result<Message> decode_message(ByteView in) {
  if (in.size() > kMaxDatagramSize) return Error::protocol("dht datagram of {} bytes", in.size());
  Message m;
  bool has_type = false;
  bool has_rid = false;
  while (!in.empty()) {
    auto field = detail::next_field(in);
    if (!field) return Error::protocol("malformed dht datagram");
    bool is_bytes = field->type == detail::WireType::Bytes;
    bool is_varint = field->type == detail::WireType::Varint;
    switch (field->number) {
      case kVersion:
        if (!is_varint) return Error::protocol("dht version of the wrong wire type");
        m.version = field->varint;
        break;
      case kType:
        if (!is_varint || field->varint < 1 || field->varint > 3) {
          return Error::protocol("dht message type {}", field->varint);
        }
        m.type = static_cast<MessageType>(field->varint);
        has_type = true;
        break;
      case kRid:
        if (!is_varint) return Error::protocol("dht rid of the wrong wire type");
        m.rid = field->varint;
        has_rid = true;
        break;
      case kTo:
      case kId:
      case kTarget:
      case kCloserNodes:
      case kRoundtripToken:
      case kValue: {
        if (!is_bytes) return Error::protocol("dht field {} of the wrong wire type", field->number);
        std::optional<Bytes>* slot = field->number == kTo             ? &m.to
                                     : field->number == kId           ? &m.id
                                     : field->number == kTarget       ? &m.target
                                     : field->number == kCloserNodes  ? &m.closer_nodes
                                     : field->number == kRoundtripToken ? &m.roundtrip_token
                                                                      : &m.value;
        *slot = copy(field->bytes);
        break;
      }
      case kCommand:
      case kError: {
        if (!is_bytes) return Error::protocol("dht field {} of the wrong wire type", field->number);
        std::string text(as_chars(field->bytes));
        (field->number == kCommand ? m.command : m.error) = std::move(text);
        break;
      }
      default:
        break;  // unknown fields are skipped
    }
  }
  if (!has_type || !has_rid) return Error::protocol("dht datagram without type or rid");
  if (m.id && m.id->size() != kIdSize) return Error::protocol("dht id of {} bytes", m.id->size());
  return m;
}

}  // namespace hypermount::swarm
