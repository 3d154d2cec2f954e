#include "wire/frame.hpp"

#include "util/varint.hpp"

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
  frame.body.assign(body.begin(), body.end());
  return frame;
}

Bytes encode_raw_frame(uint32_t channel, uint8_t type, ByteView body) {
  uint64_t header = frame_header(channel, type);
  uint64_t length = varint_size(header) + body.size();
  Bytes out;
  out.reserve(varint_size(length) + length);
  put_varint(out, length);
  put_varint(out, header);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes encode_frame(uint32_t channel, const Message& message) {
  Bytes body = encode_body(message);
  return encode_raw_frame(channel, static_cast<uint8_t>(message_type(message)), body);
}

Bytes keep_alive_frame() { return Bytes{0x00}; }

}  // namespace hypermount::wire
