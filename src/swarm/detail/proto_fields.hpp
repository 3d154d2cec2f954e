// Minimal proto2 field reading and writing for the DHT schemas, which are encoded by hand so the
// bytes follow the JS field order (spec swarm.md §3.2). Pure functions; any thread.
#pragma once

#include "util/bytes.hpp"
#include "util/varint.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace hypermount::swarm::detail {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

// One decoded field: a varint value, or a view of the bytes of a length-delimited field (into
// the buffer being parsed).
struct Field {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t varint = 0;
  ByteView bytes;
};

// Reads the next field from the front of `in`; nullopt on malformed input (then stop). Fixed
// fields are read and returned without a value, so callers skip them as unknown.
inline std::optional<Field> next_field(ByteView& in) {
  auto key = get_varint(in, UINT32_MAX);
  if (!key || (*key >> 3) == 0) return std::nullopt;
  Field field;
  field.number = static_cast<uint32_t>(*key >> 3);
  switch (*key & 7) {
    case 0: {
      auto value = get_varint(in);
      if (!value) return std::nullopt;
      field.varint = *value;
      return field;
    }
    case 1:
    case 5: {
      size_t size = (*key & 7) == 1 ? 8 : 4;
      if (in.size() < size) return std::nullopt;
      field.type = (*key & 7) == 1 ? WireType::Fixed64 : WireType::Fixed32;
      in = in.subspan(size);
      return field;
    }
    case 2: {
      auto length = get_varint(in);
      if (!length || *length > in.size()) return std::nullopt;
      field.type = WireType::Bytes;
      field.bytes = in.first(static_cast<size_t>(*length));
      in = in.subspan(static_cast<size_t>(*length));
      return field;
    }
    default:
      return std::nullopt;
  }
}

inline void put_varint_field(Bytes& out, uint32_t number, uint64_t value) {
  put_varint(out, uint64_t{number} << 3);
  put_varint(out, value);
}

inline void put_bytes_field(Bytes& out, uint32_t number, ByteView value) {
  put_varint(out, (uint64_t{number} << 3) | 2);
  put_varint(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
}

inline void put_string_field(Bytes& out, uint32_t number, std::string_view value) {
  put_bytes_field(out, number, as_bytes(value));
}

}  // namespace hypermount::swarm::detail
