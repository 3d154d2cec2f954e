// Transport frame layout: varint(L) || varint(channel << 4 | type) || body (wire.md §2.2).
// Pure functions; usable from any thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/messages.hpp"

#include <cstdint>

namespace hypermount::wire {

// Largest frame body a receiver accepts; a larger one destroys the stream (wire.md §2.2; the
// reference compares the body length, L minus the header varint, against it).
constexpr uint64_t kMaxMessageSize = 8 * 1024 * 1024;
// Channel ids stay below 2^27: the reference builds the header with 32-bit integers.
constexpr uint32_t kMaxChannel = (1u << 27) - 1;
// Channel 0 carries stream-level Options and Extension messages (wire.md §5.1).
constexpr uint32_t kStreamChannel = 0;

// The header varint value of a frame.
constexpr uint64_t frame_header(uint32_t channel, uint8_t type) {
  return (static_cast<uint64_t>(channel) << 4) | (type & 0x0f);
}

// One frame's content after the length prefix: which channel, which type, and the body.
// `type` is the raw 4-bit value, so 11..14 (ignored by receivers) are representable. The body
// points into the bytes the frame was parsed from.
struct RawFrame {
  uint32_t channel = 0;
  uint8_t type = 0;
  ByteView body;
};

// Splits the bytes covered by one length prefix into header and body (no copy). Error::protocol
// on a truncated or oversized header varint, a channel beyond kMaxChannel, or a body larger than
// kMaxMessageSize.
Result<RawFrame> parse_frame(ByteView frame_payload);

// A complete plaintext frame (length prefix included) for a typed message.
Bytes encode_frame(uint32_t channel, const Message& message);
// The same frame appended to `out`; a Data message's block is copied once, straight into it.
void append_frame(Bytes& out, uint32_t channel, const Message& message);
// A complete frame for a raw type and body (used for unknown types in tests and fuzzing).
Bytes encode_raw_frame(uint32_t channel, uint8_t type, ByteView body);
// The keep-alive frame: a single zero length byte.
Bytes keep_alive_frame();

}  // namespace hypermount::wire
