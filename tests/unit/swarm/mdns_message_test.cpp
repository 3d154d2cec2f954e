// mDNS packets against the bytes multicast-dns 7.2.5 sent in hyperswarm 2 (spec swarm.md §12),
// and the decoder's refusals (compression loops, truncation, oversize).
#include "swarm/mdns_message.hpp"

#include <doctest/doctest.h>

using namespace hypermount;
using namespace hypermount::swarm;

namespace {
const char* kName = "799038d7f3ef504f065b22ab60aec0b1153ee156.hyperswarm.local";
const char* kQueryHex =
    "000000000001000000000000"
    "28373939303338643766336566353034663036356232326162363061656330623131353365653135360a6879"
    "706572737761726d056c6f63616c0000210001";
const char* kResponseHex =
    "00008400000000030000000028373939303338643766336566353034663036356232326162363061656330623131353365653135"
    "360a6879706572737761726d056c6f63616c000021000100000000000f00000000a70d0130013001300130002837393930333864"
    "3766336566353034663036356232326162363061656330623131353365653135360a6879706572737761726d056c6f63616c0000"
    "1000010000000000242369643d94da2a95150db99c5c49c2e6e654da02a508b09464ebb6ecf18cacab6b87f0ee08726566657272"
    "65720a6879706572737761726d056c6f63616c00000100010000000000047f000001";
}  // namespace

TEST_CASE("mdns: a topic's name is the hex of its first 20 bytes") {
  Bytes topic = *from_hex("799038d7f3ef504f065b22ab60aec0b1153ee156ffffffffffffffffffffffffffffffff");
  CHECK(mdns_name(topic) == kName);
}

TEST_CASE("mdns: a query is the bytes hyperswarm sends") {
  DnsPacket query;
  query.questions.push_back({kName, kDnsTypeSrv});
  CHECK(to_hex(encode_dns(query)) == kQueryHex);
  auto decoded = decode_dns(*from_hex(kQueryHex));
  REQUIRE(decoded);
  CHECK_FALSE(decoded->response);
  REQUIRE(decoded->questions.size() == 1);
  CHECK(decoded->questions[0].name == kName);
  CHECK(decoded->questions[0].type == kDnsTypeSrv);
}

TEST_CASE("mdns: a captured response decodes, and encodes back to the same bytes") {
  auto decoded = decode_dns(*from_hex(kResponseHex));
  REQUIRE(decoded);
  CHECK(decoded->response);
  REQUIRE(decoded->answers.size() == 3);
  const DnsRecord& srv = decoded->answers[0];
  CHECK(srv.type == kDnsTypeSrv);
  CHECK(srv.name == kName);
  CHECK(srv.port == 42765);
  CHECK(srv.target == "0.0.0.0");
  const DnsRecord& txt = decoded->answers[1];
  CHECK(txt.type == kDnsTypeTxt);
  REQUIRE(txt.texts.size() == 1);
  CHECK(txt.texts[0].size() == 35);
  CHECK(as_chars(txt.texts[0]).substr(0, 3) == "id=");
  const DnsRecord& a = decoded->answers[2];
  CHECK(a.type == kDnsTypeA);
  CHECK(a.name == "referrer.hyperswarm.local");
  CHECK(a.address == std::array<uint8_t, 4>{127, 0, 0, 1});
  CHECK(to_hex(encode_dns(*decoded)) == kResponseHex);
}

TEST_CASE("mdns: compressed names are followed; loops, truncation and junk are refused") {
  // a response whose TXT name points back at the SRV name (as other responders compress)
  Bytes packet = *from_hex(
      "000084000000000200000000"
      "0161016200"                  // "a.b" at offset 12
      "00210001000000000008" "00000000" "1f90" "c00c"  // SRV a.b -> port 8080, target a.b (pointer)
      "c00c" "0010000100000000" "0004" "03" "783d31");  // TXT a.b "x=1"
  auto decoded = decode_dns(packet);
  REQUIRE(decoded);
  REQUIRE(decoded->answers.size() == 2);
  CHECK(decoded->answers[0].port == 8080);
  CHECK(decoded->answers[0].target == "a.b");
  CHECK(decoded->answers[1].name == "a.b");
  // a pointer to itself
  CHECK_FALSE(decode_dns(*from_hex("000000000001000000000000c00c00210001")));
  // every truncation of a valid packet
  Bytes response = *from_hex(kResponseHex);
  for (size_t n = 0; n < response.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(decode_dns(ByteView(response).first(n)));
  }
  CHECK_FALSE(decode_dns(Bytes(kMaxDnsPacket + 1, 0)));
  // a label with reserved high bits
  CHECK_FALSE(decode_dns(*from_hex("0000000000010000000000004100")));
}

TEST_CASE("mdns: what decodes re-encodes to a packet with the same records (labels holding dots)") {
  // found by mdns_fuzz: a label "." re-encoded as an empty label ended the name early
  Bytes packet = *from_hex(
      "4a0901000010000000000000005bffe300000000000000000000000000080000000000000000000001010000000000000101"
      "01010101012e000060600005e7740000000000000000000000000000000000000000000000000000000000aa0000000000ff"
      "ff5fc000033e22002e0000000000000000000000000000000000000000000000010101010101010100000000000000000000"
      "000100000000f80001010101010101010101010000000001010101010101010101010101010100000000000000090000fe00"
      "000000000000010000002ff501");
  auto decoded = decode_dns(packet);
  REQUIRE(decoded);
  auto again = decode_dns(encode_dns(*decoded));
  REQUIRE(again);
  CHECK(again->questions.size() == decoded->questions.size());
  CHECK(again->answers.size() == decoded->answers.size());
  DnsPacket dotted;
  dotted.questions.push_back({"a..b.", kDnsTypeSrv});
  auto round = decode_dns(encode_dns(dotted));
  REQUIRE(round);
  CHECK(round->questions[0].name == "a.b");
}
