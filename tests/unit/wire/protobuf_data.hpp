// Data messages through protobuf's own generated code, to hold the hand-written codec
// (wire/data_message.cpp) against. Test and fuzz code only; pure functions.
#pragma once

#include "wire.pb.h"
#include "wire/messages.hpp"

#include <optional>
#include <string>

namespace hypermount::test {

// What protobuf makes of a Data body; nullopt where protobuf refuses it.
inline std::optional<wire::Data> protobuf_decode_data(ByteView body) {
  wire::pb::Data pb;
  if (!pb.ParsePartialFromArray(body.data(), static_cast<int>(body.size())) || !pb.IsInitialized()) {
    return std::nullopt;
  }
  auto bytes = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  wire::Data m;
  m.index = pb.index();
  if (pb.has_value()) m.value = bytes(pb.value());
  for (const auto& node : pb.nodes()) m.nodes.push_back({node.index(), bytes(node.hash()), node.size()});
  if (pb.has_signature()) m.signature = bytes(pb.signature());
  return m;
}

// The body protobuf writes for `m`.
inline Bytes protobuf_encode_data(const wire::Data& m) {
  auto text = [](ByteView b) { return std::string(b.begin(), b.end()); };
  wire::pb::Data pb;
  pb.set_index(m.index);
  if (m.value) pb.set_value(text(*m.value));
  for (const auto& node : m.nodes) {
    auto* out = pb.add_nodes();
    out->set_index(node.index);
    out->set_hash(text(node.hash));
    out->set_size(node.size);
  }
  if (m.signature) pb.set_signature(text(*m.signature));
  const std::string body = pb.SerializeAsString();
  return Bytes(body.begin(), body.end());
}

}  // namespace hypermount::test
