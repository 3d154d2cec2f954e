#include "wire/frame.hpp"

#include "util/varint.hpp"
#include "wire/data_message.hpp"

#include <algorithm>

namespace hypermount::wire {

Result<RawFrame> parse_frame(ByteView frame_payload) {
  ByteView body = frame_payload;
  auto header = get_varint(body);
  if (!header) return Error::protocol("frame header varint is truncated or invalid");
  uint64_t channel = *header >> 4;
  if (channel > kMaxChannel) return Error::protocol("frame channel {} is too large", channel);
  if (body.size() > kMaxMessageSize) {
    return Error::protocol("incoming message of {} bytes is larger than max size", body.size());
  }
  RawFrame frame;
  frame.channel = static_cast<uint32_t>(channel);
  frame.type = static_cast<uint8_t>(*header & 0x0f);
  frame.body = body;
  return frame;
}

namespace {

void append_frame_prefix(Bytes& out, uint32_t channel, uint8_t type, size_t body_size) {
  uint64_t header = frame_header(channel, type);
  put_varint(out, varint_size(header) + body_size);
  put_varint(out, header);
}

}  // namespace

Bytes encode_raw_frame(uint32_t channel, uint8_t type, ByteView body) {
  Bytes out;
  out.reserve(2 * kMaxVarintBytes + body.size());
  append_frame_prefix(out, channel, type, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void append_frame(Bytes& out, uint32_t channel, const Message& message) {
  const auto type = static_cast<uint8_t>(message_type(message));
  if (const Data* data = std::get_if<Data>(&message)) {
    const size_t body_size = data_body_size(*data);
    const size_t needed = out.size() + 2 * kMaxVarintBytes + body_size;
    if (needed > out.capacity()) out.reserve(std::max(needed, 2 * out.capacity()));
    append_frame_prefix(out, channel, type, body_size);
    append_data_body(out, *data);
    return;
  }
  Bytes body = encode_body(message);
  append_frame_prefix(out, channel, type, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

Bytes encode_frame(uint32_t channel, const Message& message) {
  Bytes out;
  append_frame(out, channel, message);
  return out;
}

Bytes keep_alive_frame() { return Bytes{0x00}; }

}  // namespace hypermount::wire
