// IPv4 addresses, node ids, and their compact wire forms in DHT messages (spec swarm.md §2).
// Plain values and pure functions; usable from any thread.
#pragma once

#include "util/bytes.hpp"

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::swarm {

// A DHT node id or a topic: 32 bytes, compared by XOR distance (swarm.md §3.4).
constexpr size_t kIdSize = 32;
using NodeId = ByteArray<kIdSize>;
// A compact peer: 4 bytes IPv4 then the port, big-endian (swarm.md §2).
constexpr size_t kPeerSize = 6;
// A node entry: id then compact peer.
constexpr size_t kNodeEntrySize = kIdSize + kPeerSize;

struct Ipv4Address {
  std::array<uint8_t, 4> host{};
  uint16_t port = 0;
  bool operator==(const Ipv4Address&) const = default;
  auto operator<=>(const Ipv4Address&) const = default;
  // "a.b.c.d": what round-trip tokens hash (swarm.md §3.5).
  std::string host_text() const;
  // "a.b.c.d:port".
  std::string to_string() const;
  sockaddr_in to_sockaddr() const;
  static Ipv4Address from_sockaddr(const sockaddr_in& address);
};

// "a.b.c.d:port" with a dotted IPv4 and a port 1..65535; nullopt otherwise (no host names).
std::optional<Ipv4Address> parse_address(std::string_view text);

void put_peer(Bytes& out, const Ipv4Address& address);
// One 6-byte compact peer; nullopt on another length, port 0 or host 0.0.0.0.
std::optional<Ipv4Address> decode_peer(ByteView in);
// Concatenated compact peers; nullopt if the length is not a multiple of 6 or any entry is
// invalid.
std::optional<std::vector<Ipv4Address>> decode_peers(ByteView in);

struct NodeEntry {
  NodeId id{};
  Ipv4Address address;
  bool operator==(const NodeEntry&) const = default;
};

void put_nodes(Bytes& out, const std::vector<NodeEntry>& nodes);
// The closerNodes field (38·n bytes); nullopt if the length is not a multiple of 38 or any port
// is 0 (the whole list is dropped, as JS does).
std::optional<std::vector<NodeEntry>> decode_nodes(ByteView in);

// True when `a` is closer to `target` than `b` (big-endian XOR compare).
bool closer(const NodeId& target, const NodeId& a, const NodeId& b);

}  // namespace hypermount::swarm
