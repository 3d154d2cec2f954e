// Owning byte buffers, borrowed byte views, hex text and big-endian integer coding.
// Pure functions; usable from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount {

using Bytes = std::vector<uint8_t>;
// A borrowed view: never outlives the call it is passed to unless a comment says who owns it.
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}
inline std::string_view as_chars(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string to_hex(ByteView bytes);
// True when every byte is 0 (true for an empty view).
bool is_all_zero(ByteView bytes);
// Lowercase or uppercase hex of even length; nullopt on anything else.
std::optional<Bytes> from_hex(std::string_view text);

inline void put_u64be(uint8_t* out, uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}
inline uint64_t get_u64be(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
  return value;
}
inline void put_u16be(uint8_t* out, uint16_t value) {
  out[0] = static_cast<uint8_t>(value >> 8);
  out[1] = static_cast<uint8_t>(value);
}
inline uint16_t get_u16be(const uint8_t* in) {
  return static_cast<uint16_t>((in[0] << 8) | in[1]);
}
inline void put_u32be(uint8_t* out, uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}
inline uint32_t get_u32be(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | in[3];
}

// Fixed-size byte arrays (keys, hashes) compare and hash as values.
template <size_t N>
using ByteArray = std::array<uint8_t, N>;

template <size_t N>
std::optional<ByteArray<N>> array_from_hex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != N) return std::nullopt;
  ByteArray<N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace hypermount
