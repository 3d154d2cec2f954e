// The multicast DNS packets of hyperswarm 2's LAN discovery (spec swarm.md §6): an SRV query
// for "<40 hex>.hyperswarm.local", and responses of SRV + TXT "id=..." (+ A) answers. Pure.
#pragma once

#include "util/bytes.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::swarm {

constexpr uint16_t kDnsTypeA = 1;
constexpr uint16_t kDnsTypeTxt = 16;
constexpr uint16_t kDnsTypeSrv = 33;
// The most a decoder reads of one packet (a UDP datagram) and of one name.
constexpr size_t kMaxDnsPacket = 9000;
constexpr size_t kMaxDnsName = 255;

struct DnsQuestion {
  std::string name;  // dotted, without the final dot
  uint16_t type = 0;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  // SRV
  uint16_t port = 0;
  std::string target;
  // TXT: its strings; A: its address
  std::vector<Bytes> texts;
  std::array<uint8_t, 4> address{};
};

struct DnsPacket {
  bool response = false;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;  // answers, then authority and additional records
};

// "<hex of topic[0..20]>.hyperswarm.local": a topic's mDNS name (swarm.md §5).
std::string mdns_name(ByteView topic);

// Encodes as multicast-dns 7.2.5 does: id 0, no name compression, class IN, TTL 0. A query
// has flags 0; a response 0x8400 (QR + AA). Only SRV, TXT and A records are written.
Bytes encode_dns(const DnsPacket& packet);
// Decodes any DNS packet (compressed names too), keeping the SRV, TXT and A records; other
// records are skipped. nullopt on anything malformed or over the bounds above.
std::optional<DnsPacket> decode_dns(ByteView packet);

}  // namespace hypermount::swarm
