#include "swarm/address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace hypermount::swarm {

std::string Ipv4Address::host_text() const {
  return fmt::format("{}.{}.{}.{}", host[0], host[1], host[2], host[3]);
}

std::string Ipv4Address::to_string() const { return fmt::format("{}:{}", host_text(), port); }

sockaddr_in Ipv4Address::to_sockaddr() const {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  std::memcpy(&out.sin_addr.s_addr, host.data(), 4);
  return out;
}

Ipv4Address Ipv4Address::from_sockaddr(const sockaddr_in& address) {
  Ipv4Address out;
  std::memcpy(out.host.data(), &address.sin_addr.s_addr, 4);
  out.port = ntohs(address.sin_port);
  return out;
}

std::optional<Ipv4Address> parse_address(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  in_addr parsed{};
  if (inet_pton(AF_INET, host.c_str(), &parsed) != 1) return std::nullopt;
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  Ipv4Address out;
  std::memcpy(out.host.data(), &parsed.s_addr, 4);
  out.port = static_cast<uint16_t>(port);
  return out;
}

void put_peer(Bytes& out, const Ipv4Address& address) {
  out.insert(out.end(), address.host.begin(), address.host.end());
  out.push_back(static_cast<uint8_t>(address.port >> 8));
  out.push_back(static_cast<uint8_t>(address.port));
}

std::optional<Ipv4Address> decode_peer(ByteView in) {
  if (in.size() != kPeerSize) return std::nullopt;
  Ipv4Address out;
  std::copy(in.begin(), in.begin() + 4, out.host.begin());
  out.port = get_u16be(in.data() + 4);
  if (out.port == 0 || out.host == std::array<uint8_t, 4>{}) return std::nullopt;
  return out;
}

std::optional<std::vector<Ipv4Address>> decode_peers(ByteView in) {
  if (in.size() % kPeerSize != 0) return std::nullopt;
  std::vector<Ipv4Address> out;
  out.reserve(in.size() / kPeerSize);
  for (size_t i = 0; i < in.size(); i += kPeerSize) {
    auto peer = decode_peer(in.subspan(i, kPeerSize));
    if (!peer) return std::nullopt;
    out.push_back(*peer);
  }
  return out;
}

void put_nodes(Bytes& out, const std::vector<NodeEntry>& nodes) {
  for (const NodeEntry& node : nodes) {
    out.insert(out.end(), node.id.begin(), node.id.end());
    put_peer(out, node.address);
  }
}

std::optional<std::vector<NodeEntry>> decode_nodes(ByteView in) {
  if (in.size() % kNodeEntrySize != 0) return std::nullopt;
  std::vector<NodeEntry> out;
  out.reserve(in.size() / kNodeEntrySize);
  for (size_t i = 0; i < in.size(); i += kNodeEntrySize) {
    NodeEntry node;
    std::copy(in.begin() + i, in.begin() + i + kIdSize, node.id.begin());
    ByteView peer = in.subspan(i + kIdSize, kPeerSize);
    std::copy(peer.begin(), peer.begin() + 4, node.address.host.begin());
    node.address.port = get_u16be(peer.data() + 4);
    if (node.address.port == 0) return std::nullopt;
    out.push_back(node);
  }
  return out;
}

bool closer(const NodeId& target, const NodeId& a, const NodeId& b) {
  for (size_t i = 0; i < kIdSize; ++i) {
    uint8_t da = a[i] ^ target[i];
    uint8_t db = b[i] ^ target[i];
    if (da != db) return da < db;
  }
  return false;
}

}  // namespace hypermount::swarm
