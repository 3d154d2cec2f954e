#include "swarm/payloads.hpp"

#include "swarm/detail/proto_fields.hpp"

namespace hypermount::swarm {

namespace {

using detail::WireType;

Bytes copy(ByteView view) { return Bytes(view.begin(), view.end()); }

}  // namespace

Bytes encode_peers_input(const PeersInput& input) {
  Bytes out;
  if (input.port) detail::put_varint_field(out, 1, *input.port);
  if (input.local_address) detail::put_bytes_field(out, 2, *input.local_address);
  if (input.unannounce) detail::put_varint_field(out, 3, *input.unannounce ? 1 : 0);
  return out;
}

Result<PeersInput> decode_peers_input(ByteView in) {
  PeersInput out;
  while (!in.empty()) {
    auto field = detail::next_field(in);
    if (!field) return Error::protocol("malformed peers request value");
    if (field->number == 1 && field->type == WireType::Varint) {
      out.port = field->varint;
    } else if (field->number == 2 && field->type == WireType::Bytes) {
      out.local_address = copy(field->bytes);
    } else if (field->number == 3 && field->type == WireType::Varint) {
      out.unannounce = field->varint != 0;
    } else if (field->number <= 3) {
      return Error::protocol("peers request field {} of the wrong wire type", field->number);
    }
  }
  return out;
}

Bytes encode_peers_output(const PeersOutput& output) {
  Bytes out;
  if (!output.peers.empty()) {
    Bytes peers;
    for (const Ipv4Address& peer : output.peers) put_peer(peers, peer);
    detail::put_bytes_field(out, 1, peers);
  }
  if (!output.local_peers.empty()) {
    Bytes local;
    for (const LocalSuffix& suffix : output.local_peers) {
      local.insert(local.end(), suffix.begin(), suffix.end());
    }
    detail::put_bytes_field(out, 2, local);
  }
  return out;
}

Result<PeersOutput> decode_peers_output(ByteView in) {
  PeersOutput out;
  while (!in.empty()) {
    auto field = detail::next_field(in);
    if (!field) return Error::protocol("malformed peers response value");
    if (field->number > 2) continue;
    if (field->type != WireType::Bytes) {
      return Error::protocol("peers response field {} of the wrong wire type", field->number);
    }
    if (field->number == 1) {
      out.peers = decode_peers(field->bytes).value_or(std::vector<Ipv4Address>{});
      continue;
    }
    if (field->bytes.size() % kLocalSuffixSize != 0) {
      return Error::protocol("localPeers of {} bytes", field->bytes.size());
    }
    out.local_peers.clear();
    for (size_t i = 0; i < field->bytes.size(); i += kLocalSuffixSize) {
      LocalSuffix suffix;
      std::copy(field->bytes.begin() + i, field->bytes.begin() + i + kLocalSuffixSize,
                suffix.begin());
      out.local_peers.push_back(suffix);
    }
  }
  return out;
}

Bytes encode_holepunch(const Holepunch& holepunch) {
  Bytes out;
  if (holepunch.from) detail::put_bytes_field(out, 2, *holepunch.from);
  if (holepunch.to) detail::put_bytes_field(out, 3, *holepunch.to);
  return out;
}

Result<Holepunch> decode_holepunch(ByteView in) {
  Holepunch out;
  while (!in.empty()) {
    auto field = detail::next_field(in);
    if (!field) return Error::protocol("malformed holepunch value");
    if (field->number != 2 && field->number != 3) continue;
    if (field->type != WireType::Bytes) return Error::protocol("holepunch field of the wrong type");
    (field->number == 2 ? out.from : out.to) = copy(field->bytes);
  }
  return out;
}

Ipv4Address local_peer_address(const Ipv4Address& own, const LocalSuffix& suffix) {
  Ipv4Address out;
  out.host = {own.host[0], own.host[1], suffix[0], suffix[1]};
  out.port = get_u16be(suffix.data() + 2);
  return out;
}

LocalSuffix local_suffix_of(const Ipv4Address& address) {
  LocalSuffix out{address.host[2], address.host[3], 0, 0};
  put_u16be(out.data() + 2, address.port);
  return out;
}

}  // namespace hypermount::swarm
