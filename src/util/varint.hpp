// Unsigned LEB128 varints (protobuf / npm `varint` encoding): 7 bits per byte, low group first.
// Pure functions; usable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "util/bytes.hpp"

namespace hypermount {

// The longest encoding of a uint64_t: ceil(64 / 7) bytes.
inline constexpr size_t kMaxVarintBytes = 10;

// Number of bytes put_varint writes for `value` (1 for 0).
inline size_t varint_size(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// Appends the minimal encoding of `value` to `out`.
inline void put_varint(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

// Decodes one varint from the front of `in` and advances `in` past it. Returns nullopt (and
// leaves `in` unchanged) when the input ends inside the varint, when the encoding is longer than
// kMaxVarintBytes, or when the value does not fit in 64 bits. Non-minimal encodings (trailing
// 0x80 groups) are accepted, as the JS decoders accept them. `max_value` rejects larger values
// (for fields narrower than 64 bits).
inline std::optional<uint64_t> get_varint(ByteView& in, uint64_t max_value = UINT64_MAX) {
  uint64_t value = 0;
  for (size_t i = 0; i < in.size() && i < kMaxVarintBytes; ++i) {
    const uint64_t group = in[i] & 0x7f;
    if (i == kMaxVarintBytes - 1 && group > 1) {
      return std::nullopt;  // bits beyond 2^64
    }
    value |= group << (7 * i);
    if ((in[i] & 0x80) == 0) {
      if (value > max_value) {
        return std::nullopt;
      }
      in = in.subspan(i + 1);
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace hypermount
