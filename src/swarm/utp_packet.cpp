#include "swarm/utp_packet.hpp"

namespace hypermount::swarm {

bool is_utp_datagram(ByteView datagram) {
  return datagram.size() >= kUtpHeaderSize && (datagram[0] & 0x0f) == kUtpVersion;
}

Result<UtpPacket> decode_utp_packet(ByteView datagram) {
  if (datagram.size() < kUtpHeaderSize) {
    return Error::corrupt("utp packet of {} bytes: shorter than the header", datagram.size());
  }
  const uint8_t* in = datagram.data();
  if ((in[0] & 0x0f) != kUtpVersion) return Error::corrupt("utp packet: version {}", in[0] & 0x0f);
  const uint8_t type = in[0] >> 4;
  if (type > static_cast<uint8_t>(UtpType::Syn)) return Error::corrupt("utp packet: type {}", type);
  UtpPacket packet;
  packet.type = static_cast<UtpType>(type);
  packet.conn_id = get_u16be(in + 2);
  packet.timestamp_us = get_u32be(in + 4);
  packet.timestamp_diff_us = get_u32be(in + 8);
  packet.wnd_size = get_u32be(in + 12);
  packet.seq_nr = get_u16be(in + 16);
  packet.ack_nr = get_u16be(in + 18);
  uint8_t extension = in[1];
  size_t at = kUtpHeaderSize;
  for (size_t count = 0; extension != 0; ++count) {
    if (count == kUtpMaxExtensions) return Error::corrupt("utp packet: more than {} extensions", count);
    if (datagram.size() - at < 2) return Error::corrupt("utp packet: truncated extension header");
    const uint8_t next = in[at];
    const size_t length = in[at + 1];
    at += 2;
    if (datagram.size() - at < length) {
      return Error::corrupt("utp packet: extension {} of {} bytes is truncated", extension, length);
    }
    if (extension == kUtpSelectiveAckExtension) {
      if (length == 0 || length % 4 != 0 || length > kUtpMaxSelectiveAckBytes || packet.selective_ack) {
        return Error::corrupt("utp packet: selective ack of {} bytes", length);
      }
      packet.selective_ack = Bytes(in + at, in + at + length);
    }
    at += length;
    extension = next;
  }
  packet.payload.assign(in + at, in + datagram.size());
  return packet;
}

Bytes encode_utp_packet(const UtpPacket& packet) {
  const size_t sack = packet.selective_ack ? packet.selective_ack->size() : 0;
  Bytes out(kUtpHeaderSize + (packet.selective_ack ? 2 + sack : 0));
  uint8_t* o = out.data();
  o[0] = static_cast<uint8_t>(static_cast<uint8_t>(packet.type) << 4 | kUtpVersion);
  o[1] = packet.selective_ack ? kUtpSelectiveAckExtension : 0;
  put_u16be(o + 2, packet.conn_id);
  put_u32be(o + 4, packet.timestamp_us);
  put_u32be(o + 8, packet.timestamp_diff_us);
  put_u32be(o + 12, packet.wnd_size);
  put_u16be(o + 16, packet.seq_nr);
  put_u16be(o + 18, packet.ack_nr);
  if (packet.selective_ack) {
    o[20] = 0;
    o[21] = static_cast<uint8_t>(sack);
    std::copy(packet.selective_ack->begin(), packet.selective_ack->end(), o + 22);
  }
  out.insert(out.end(), packet.payload.begin(), packet.payload.end());
  return out;
}

}  // namespace hypermount::swarm
