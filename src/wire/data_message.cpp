#include "wire/data_message.hpp"

#include "util/varint.hpp"

#include <limits>

namespace hypermount::wire {
namespace {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr uint8_t tag(uint32_t field, WireType type) {
  return static_cast<uint8_t>(field << 3 | type);
}

size_t bytes_field_size(size_t length) { return 1 + varint_size(length) + length; }

size_t node_body_size(const DataNode& node) {
  return 1 + varint_size(node.index) + bytes_field_size(node.hash.size()) + 1 + varint_size(node.size);
}

void append_bytes_field(Bytes& out, uint32_t field, ByteView bytes) {
  out.push_back(tag(field, kLengthDelimited));
  put_varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// One field of a protobuf body: its number, wire type, and payload (the value of a varint, the
// bytes of the others).
struct Field {
  uint32_t number = 0;
  uint8_t type = 0;
  uint64_t varint = 0;
  ByteView bytes;
};

Error malformed(const char* what) { return Error::protocol("could not decode Data message: {}", what); }

// Reads the next field from the front of `in`.
Result<Field> next_field(ByteView& in) {
  auto key = get_varint(in, std::numeric_limits<uint32_t>::max());
  if (!key) return malformed("a bad field key");
  Field field;
  field.number = static_cast<uint32_t>(*key >> 3);
  field.type = static_cast<uint8_t>(*key & 7);
  if (field.number == 0) return malformed("field number 0");
  switch (field.type) {
    case kVarint: {
      auto value = get_varint(in);
      if (!value) return malformed("a bad varint");
      field.varint = *value;
      return field;
    }
    case kFixed64:
    case kFixed32: {
      const size_t size = field.type == kFixed64 ? 8 : 4;
      if (in.size() < size) return malformed("a truncated fixed-size field");
      field.bytes = in.first(size);
      in = in.subspan(size);
      return field;
    }
    case kLengthDelimited: {
      auto length = get_varint(in, std::numeric_limits<int32_t>::max());
      if (!length || *length > in.size()) return malformed("a length beyond the body");
      field.bytes = in.first(static_cast<size_t>(*length));
      in = in.subspan(static_cast<size_t>(*length));
      return field;
    }
    default:
      return malformed("a group or an unknown wire type");
  }
}

Result<DataNode> decode_node(ByteView in) {
  DataNode node;
  bool has_index = false, has_hash = false, has_size = false;
  while (!in.empty()) {
    HM_TRY_ASSIGN(Field field, next_field(in));
    if (field.number == 1 && field.type == kVarint) {
      node.index = field.varint;
      has_index = true;
    } else if (field.number == 2 && field.type == kLengthDelimited) {
      node.hash.assign(field.bytes.begin(), field.bytes.end());
      has_hash = true;
    } else if (field.number == 3 && field.type == kVarint) {
      node.size = field.varint;
      has_size = true;
    }
  }
  if (!has_index || !has_hash || !has_size) return malformed("a node lacks a required field");
  return node;
}

}  // namespace

size_t data_body_size(const Data& m) {
  size_t size = 1 + varint_size(m.index);
  if (m.value) size += bytes_field_size(m.value->size());
  for (const DataNode& node : m.nodes) size += bytes_field_size(node_body_size(node));
  if (m.signature) size += bytes_field_size(m.signature->size());
  return size;
}

void append_data_body(Bytes& out, const Data& m) {
  out.push_back(tag(1, kVarint));
  put_varint(out, m.index);
  if (m.value) append_bytes_field(out, 2, *m.value);
  for (const DataNode& node : m.nodes) {
    out.push_back(tag(3, kLengthDelimited));
    put_varint(out, node_body_size(node));
    out.push_back(tag(1, kVarint));
    put_varint(out, node.index);
    append_bytes_field(out, 2, node.hash);
    out.push_back(tag(3, kVarint));
    put_varint(out, node.size);
  }
  if (m.signature) append_bytes_field(out, 4, *m.signature);
}

Result<Data> decode_data_body(ByteView in) {
  Data m;
  bool has_index = false;
  // The value is copied once, at the end: a repeated field's last occurrence wins.
  std::optional<ByteView> value;
  while (!in.empty()) {
    HM_TRY_ASSIGN(Field field, next_field(in));
    if (field.number == 1 && field.type == kVarint) {
      m.index = field.varint;
      has_index = true;
    } else if (field.number == 2 && field.type == kLengthDelimited) {
      value = field.bytes;
    } else if (field.number == 3 && field.type == kLengthDelimited) {
      HM_TRY_ASSIGN(DataNode node, decode_node(field.bytes));
      m.nodes.push_back(std::move(node));
    } else if (field.number == 4 && field.type == kLengthDelimited) {
      m.signature = Bytes(field.bytes.begin(), field.bytes.end());
    }
  }
  if (!has_index) return malformed("the required index is missing");
  if (value) m.value = Bytes(value->begin(), value->end());
  return m;
}

}  // namespace hypermount::wire
