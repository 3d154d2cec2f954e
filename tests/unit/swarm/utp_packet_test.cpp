#include "swarm/utp_packet.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

Bytes hex(const std::string& text) { return from_hex(text).value(); }

TEST_CASE("utp packet: a libutp SYN decodes field by field and re-encodes to the same bytes") {
  // The first SYN of every utp-native process: conn id 0x4567, seq 0x23c6 (swarm.md §10).
  const Bytes syn = hex("41004567" "0a0b0c0d" "00000000" "00100000" "23c6" "0000");
  auto packet = decode_utp_packet(syn);
  REQUIRE(packet);
  CHECK(packet->type == UtpType::Syn);
  CHECK(packet->conn_id == 0x4567);
  CHECK(packet->timestamp_us == 0x0a0b0c0d);
  CHECK(packet->timestamp_diff_us == 0);
  CHECK(packet->wnd_size == 0x00100000);
  CHECK(packet->seq_nr == 0x23c6);
  CHECK(packet->ack_nr == 0);
  CHECK(!packet->selective_ack);
  CHECK(packet->payload.empty());
  CHECK(encode_utp_packet(*packet) == syn);
}

TEST_CASE("utp packet: every type round-trips, with and without a selective ack and payload") {
  for (uint8_t type = 0; type <= 4; ++type) {
    UtpPacket packet;
    packet.type = static_cast<UtpType>(type);
    packet.conn_id = 0xfffe;
    packet.timestamp_us = 0xdeadbeef;
    packet.timestamp_diff_us = 0x01020304;
    packet.wnd_size = 12345;
    packet.seq_nr = 65535;
    packet.ack_nr = 1;
    CHECK(decode_utp_packet(encode_utp_packet(packet)).value() == packet);
    packet.selective_ack = Bytes{0x05, 0, 0, 0x80};
    packet.payload = Bytes{1, 2, 3};
    const Bytes bytes = encode_utp_packet(packet);
    CHECK(bytes.size() == kUtpHeaderSize + 2 + 4 + 3);
    CHECK(bytes[1] == kUtpSelectiveAckExtension);
    CHECK(decode_utp_packet(bytes).value() == packet);
  }
}

TEST_CASE("utp packet: an unknown extension is skipped and the payload after it kept") {
  // Extension 2 (libutp's extension bits, 8 bytes) then a selective ack, then 2 payload bytes.
  const Bytes bytes = hex("2102000100000000000000000000000000050007" "0108" "0000000000000000"
                          "0004" "01000000" "abcd");
  auto packet = decode_utp_packet(bytes);
  REQUIRE(packet);
  CHECK(packet->type == UtpType::State);
  REQUIRE(packet->selective_ack);
  CHECK(*packet->selective_ack == Bytes{1, 0, 0, 0});
  CHECK(packet->payload == Bytes{0xab, 0xcd});
}

TEST_CASE("utp packet: malformed datagrams are errors") {
  const std::string header = "0000000100000000000000000000000000000000";  // DATA, no extension
  auto corrupt = [](const Bytes& bytes) {
    auto packet = decode_utp_packet(bytes);
    return !packet && packet.error().code() == Errc::Corrupt;
  };
  CHECK(!corrupt(hex("01" + header.substr(2))));
  CHECK(corrupt(hex("01" + header.substr(2, 36))));         // 19 bytes
  CHECK(corrupt(hex("02" + header.substr(2))));             // version 2
  CHECK(corrupt(hex("51" + header.substr(2))));             // type 5
  CHECK(corrupt(hex("0101" + header.substr(4))));           // extension header missing
  CHECK(corrupt(hex("0101" + header.substr(4) + "00")));    // extension header cut
  CHECK(corrupt(hex("0101" + header.substr(4) + "0004" "0000")));      // extension data cut
  CHECK(corrupt(hex("0101" + header.substr(4) + "0003" "000000")));    // sack not 4-aligned
  CHECK(corrupt(hex("0101" + header.substr(4) + "0000")));             // empty sack
  CHECK(corrupt(hex("0101" + header.substr(4) + "0024" + std::string(72, '0'))));  // 36 bytes
  CHECK(corrupt(hex("0101" + header.substr(4) + "0104" "00000000" "0004" "00000000")));  // 2 sacks
  std::string chain = "0102" + header.substr(4);
  for (size_t i = 0; i < kUtpMaxExtensions; ++i) chain += "0200";
  CHECK(corrupt(hex(chain)));                               // the 9th extension
  std::string bounded = "0102" + header.substr(4);
  for (size_t i = 0; i + 1 < kUtpMaxExtensions; ++i) bounded += "0200";
  CHECK(!corrupt(hex(bounded + "0000")));                   // exactly 8 extensions
}

TEST_CASE("utp packet: only version-1 datagrams of header length count as uTP") {
  CHECK(is_utp_datagram(hex("41" + std::string(38, '0'))));
  CHECK(is_utp_datagram(hex("21" + std::string(60, '0'))));
  CHECK(!is_utp_datagram(hex("41" + std::string(36, '0'))));
  // A DHT message starts with protobuf tag 0x08 (field 1, varint): version nibble 8.
  CHECK(!is_utp_datagram(hex("0800" + std::string(60, '0'))));
  CHECK(!is_utp_datagram(hex("42" + std::string(38, '0'))));
}

}  // namespace
}  // namespace hypermount::swarm
