// uTP packets (BEP 29 version 1 as libutp speaks it, swarm.md §10): the 20-byte header, the
// selective-ACK extension, strict decoding, and the test that routes a datagram to uTP. Pure.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>

namespace hypermount::swarm {

// Packet types, the high nibble of the first byte (swarm.md §10).
enum class UtpType : uint8_t { Data = 0, Fin = 1, State = 2, Reset = 3, Syn = 4 };

// The fixed header, before any extension (swarm.md §10).
constexpr size_t kUtpHeaderSize = 20;
// The version nibble every uTP packet carries; anything else on the socket goes to the DHT.
constexpr uint8_t kUtpVersion = 1;
// Extension type 1 is the selective ACK; its bitmask length is a multiple of 4 (BEP 29).
constexpr uint8_t kUtpSelectiveAckExtension = 1;
// Bounds for untrusted input: libutp sends one extension, and a 4-byte bitmask.
constexpr size_t kUtpMaxExtensions = 8;
constexpr size_t kUtpMaxSelectiveAckBytes = 32;

struct UtpPacket {
  UtpType type = UtpType::Data;
  uint16_t conn_id = 0;
  uint32_t timestamp_us = 0;
  uint32_t timestamp_diff_us = 0;
  uint32_t wnd_size = 0;
  uint16_t seq_nr = 0;
  uint16_t ack_nr = 0;
  // Bit i (LSB first in each byte) says seq ack_nr + 2 + i was received.
  std::optional<Bytes> selective_ack;
  Bytes payload;

  bool operator==(const UtpPacket&) const = default;
};

// What the shared UDP socket asks before handing a datagram to uTP rather than the DHT: at least
// a header long with version nibble 1, as libutp's own first check (swarm.md §10).
bool is_utp_datagram(ByteView datagram);

// Decodes a whole datagram. Errors: Corrupt for a bad version or type, truncated header or
// extension, a malformed selective ACK, or too many extensions. Unknown extensions are skipped.
Result<UtpPacket> decode_utp_packet(ByteView datagram);

// Encodes with the selective ACK as the only extension when present.
Bytes encode_utp_packet(const UtpPacket& packet);

}  // namespace hypermount::swarm
