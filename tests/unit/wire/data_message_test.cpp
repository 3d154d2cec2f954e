// The hand-written Data codec against protobuf's own: the same bytes out, the same message in.
#include "wire/data_message.hpp"

#include "message_json.hpp"
#include "protobuf_data.hpp"

#include <doctest/doctest.h>

#include <random>

namespace hypermount {
namespace {

using test::hex;
using test::protobuf_decode_data;
using test::protobuf_encode_data;

Bytes random_bytes(std::mt19937_64& rng, size_t size) {
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST_CASE("data message: encodes as protobuf does, and decodes what protobuf encodes") {
  std::mt19937_64 rng(11);
  const uint64_t indexes[] = {0, 1, 127, 128, 300, uint64_t{1} << 35, UINT64_MAX};
  for (int round = 0; round < 300; ++round) {
    wire::Data m;
    m.index = round < 7 ? indexes[round] : rng() >> (rng() % 64);
    switch (rng() % 3) {
      case 0: break;  // a hash-only reply
      case 1: m.value = Bytes(); break;
      default: m.value = random_bytes(rng, rng() % 3 == 0 ? 70000 : rng() % 300); break;
    }
    for (size_t i = rng() % 4; i > 0; --i) m.nodes.push_back({rng() >> (rng() % 64), random_bytes(rng, 32), rng() >> (rng() % 64)});
    if (rng() % 2) m.signature = random_bytes(rng, 64);
    CAPTURE(round);
    const Bytes expected = protobuf_encode_data(m);
    Bytes body;
    wire::append_data_body(body, m);
    CHECK(body == expected);
    CHECK(wire::data_body_size(m) == expected.size());
    auto decoded = wire::decode_data_body(expected);
    REQUIRE(decoded.ok());
    CHECK(*decoded == m);
  }
}

TEST_CASE("data message: unknown fields, other wire types and repeats decode as protobuf decodes them") {
  const char* bodies[] = {
      "0805" "1203616263",                            // index, value
      "1203616263" "0805",                            // fields out of order
      "0805" "1201aa" "1202bbcc",                     // the last value wins
      "0801" "0805",                                  // the last index wins
      "0805" "2807" "3a020000" "41" "0102030405060708" "4d" "01020304",  // unknown fields
      "0805" "1007" "0a0100",                         // value as a varint, index as bytes: unknown
      "0805" "1a2608071220" "0000000000000000000000000000000000000000000000000000000000000000" "1809",
      "0805" "1a0608011200180a" "2203010203",        // a node with an empty hash, a signature
      "088080808080808080" "01",                      // the largest 10-byte index
      "0805" "1200",                                  // an empty value is present
  };
  for (const char* text : bodies) {
    const std::string shown = text;
    CAPTURE(shown);
    const Bytes body = hex(text);
    auto expected = protobuf_decode_data(body);
    REQUIRE(expected.has_value());
    auto decoded = wire::decode_data_body(body);
    REQUIRE(decoded.ok());
    CHECK(*decoded == *expected);
  }
}

TEST_CASE("data message: what protobuf refuses is refused, and groups too") {
  const char* refused_by_both[] = {
      "",                     // no index
      "1203616263",           // value without index
      "0805" "1205616263",    // a value longer than the body
      "08",                   // a truncated varint
      "0805" "1a0408011200",  // a node without its size
      "0805" "00",            // field number 0
      "0805" "0f",            // wire type 7
      "0805" "45010203",      // a truncated fixed32
  };
  for (const char* text : refused_by_both) {
    const std::string shown = text;
    CAPTURE(shown);
    const Bytes body = hex(text);
    CHECK_FALSE(protobuf_decode_data(body).has_value());
    auto decoded = wire::decode_data_body(body);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code() == Errc::Protocol);
  }
  // An unknown group protobuf would skip; no peer sends one, and we refuse it.
  const Bytes group = hex("0805" "2b" "0801" "2c");
  CHECK(protobuf_decode_data(group).has_value());
  CHECK_FALSE(wire::decode_data_body(group).ok());
}

}  // namespace
}  // namespace hypermount
