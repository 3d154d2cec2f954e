// The `value` payloads of the HyperDHT `peers` and `_holepunch` commands (spec swarm.md §3.2,
// §4.1, §4.2). Plain values and pure functions; usable from any thread.
#pragma once

#include "swarm/address.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <array>
#include <optional>
#include <vector>

namespace hypermount::swarm {

// PeersInput: the request value of `peers`. Fields keep their presence (hyperswarm sends
// `port = 0` explicitly as `08 00`).
struct PeersInput {
  std::optional<uint64_t> port;
  std::optional<Bytes> local_address;  // 6-byte compact peer
  std::optional<bool> unannounce;
  bool operator==(const PeersInput&) const = default;
};

// A LAN peer as stored and sent: the 3rd and 4th octet and the port (swarm.md §4.2).
constexpr size_t kLocalSuffixSize = 4;
using LocalSuffix = std::array<uint8_t, kLocalSuffixSize>;

// PeersOutput: the response value of a `peers` QUERY. Absent fields are empty lists.
struct PeersOutput {
  std::vector<Ipv4Address> peers;
  std::vector<LocalSuffix> local_peers;
  bool operator==(const PeersOutput&) const = default;
};

// Holepunch: the value of `_holepunch` (swarm.md §7); both fields are compact peers.
struct Holepunch {
  std::optional<Bytes> from;
  std::optional<Bytes> to;
  bool operator==(const Holepunch&) const = default;
};

Bytes encode_peers_input(const PeersInput& input);
Result<PeersInput> decode_peers_input(ByteView in);
Bytes encode_peers_output(const PeersOutput& output);
// A `peers` list that fails to decode is read as empty, as JS does; a malformed protobuf or a
// localPeers length that is not a multiple of 4 is an error.
Result<PeersOutput> decode_peers_output(ByteView in);
Bytes encode_holepunch(const Holepunch& holepunch);
Result<Holepunch> decode_holepunch(ByteView in);

// The LAN address a local suffix stands for, seen from `own` (its first two octets).
Ipv4Address local_peer_address(const Ipv4Address& own, const LocalSuffix& suffix);
LocalSuffix local_suffix_of(const Ipv4Address& address);

}  // namespace hypermount::swarm
