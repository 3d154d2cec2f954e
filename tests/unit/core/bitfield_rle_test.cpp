#include "core/bitfield_rle.hpp"

#include <doctest/doctest.h>

#include <string>

#include "util/bytes.hpp"
#include "vectors.hpp"

using hypermount::Bytes;
using hypermount::Errc;
using hypermount::from_hex;
using hypermount::to_hex;
using hypermount::core::rle_decode;
using hypermount::core::rle_encode;

namespace {

Bytes hex(const std::string& text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes.has_value());
  return *bytes;
}

constexpr size_t kLimit = 1 << 20;

}  // namespace

TEST_CASE("bitfield_rle: encode and decode match every bitfield-rle@2.2.1 vector") {
  const auto vectors = hypermount::test::load_vectors("hypercore-bitfield-proof.json");
  const auto& cases = vectors.at("bitfield").at("rle");
  REQUIRE(cases.size() == 8);
  for (const auto& c : cases) {
    const std::string input_hex = c.at("inputHex").get<std::string>();
    CAPTURE(input_hex.substr(0, 40));
    const Bytes input = hex(input_hex);
    const std::string encoded = c.at("encoded").get<std::string>();
    CHECK(to_hex(rle_encode(input)) == encoded);

    auto exact = rle_decode(hex(encoded), kLimit, 1);
    REQUIRE(exact.ok());
    CHECK(to_hex(*exact) == c.at("decodedAlign1").get<std::string>());
    auto aligned = rle_decode(hex(encoded), kLimit, 4);
    REQUIRE(aligned.ok());
    CHECK(to_hex(*aligned) == c.at("decodedAlign4").get<std::string>());
  }
}

TEST_CASE("bitfield_rle: spec §9 examples") {
  CHECK(to_hex(rle_encode(hex("e0"))) == "02e0");
  CHECK(to_hex(rle_encode(hex("ffffffff"))) == "13");
  Bytes zeros_then_one(1024, 0);
  zeros_then_one.push_back(1);
  CHECK(to_hex(rle_encode(zeros_then_one)) == "81200201");
  CHECK(to_hex(rle_encode(hex("0102030000000000000000ffffffffffffffff04"))) == "0601020321230204");
  CHECK(rle_encode(Bytes(100, 0)).empty());
}

TEST_CASE("bitfield_rle: decode accepts any valid encoding, not only the reference's") {
  // A run of 3 zero bytes, a literal "ab", a run of 2 0xff bytes, zero-length chunks.
  auto out = rle_decode(hex("0d"
                            "04abcd"
                            "0b"
                            "00"
                            "01"
                            "03"),
                        kLimit);
  REQUIRE(out.ok());
  CHECK(to_hex(*out) == "000000abcdffff");
  // A non-minimal varint header (0x82 0x00 = 2) is a 1-byte literal.
  auto loose = rle_decode(hex("820077"), kLimit);
  REQUIRE(loose.ok());
  CHECK(to_hex(*loose) == "77");
}

TEST_CASE("bitfield_rle: round trip of pseudo-random sparse bitfields") {
  uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    Bytes bits(static_cast<size_t>(round * 7 % 300), 0);
    for (auto& b : bits) {
      x = x * 1103515245u + 12345u;
      const uint32_t r = (x >> 16) % 8;
      b = r < 4 ? 0 : r < 6 ? 0xff : static_cast<uint8_t>(x >> 8);
    }
    auto decoded = rle_decode(rle_encode(bits), kLimit);
    REQUIRE(decoded.ok());
    // The encoder drops trailing zeros; compare after padding back.
    Bytes padded = *decoded;
    REQUIRE(padded.size() <= bits.size());
    padded.resize(bits.size(), 0);
    CHECK(padded == bits);
  }
}

TEST_CASE("bitfield_rle: malformed input is rejected, never crashes") {
  SUBCASE("literal runs past the end") {
    auto r = rle_decode(hex("0601"), kLimit);  // claims 3 bytes, has 1
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::Protocol);
  }
  SUBCASE("truncated varint") {
    auto r = rle_decode(hex("02e080"), kLimit);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::Protocol);
  }
  SUBCASE("varint longer than 10 bytes") {
    auto r = rle_decode(hex("ffffffffffffffffffff01"), kLimit);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::Protocol);
  }
  SUBCASE("varint overflowing 64 bits") {
    auto r = rle_decode(hex("ffffffffffffffffff7f"), kLimit);
    REQUIRE_FALSE(r.ok());
  }
  SUBCASE("decompression bomb: one header claiming 2^60 bytes") {
    auto r = rle_decode(hex("8180808080808080c001"), kLimit);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::Protocol);
  }
  SUBCASE("many runs adding up past the limit") {
    Bytes many;
    for (int i = 0; i < 100; ++i) {
      many.push_back(0x81);  // run of 0x20 zero bytes ... (0x81 0x20 = 4097 -> 1024 bytes)
      many.push_back(0x20);
    }
    auto r = rle_decode(many, 50 * 1024);
    REQUIRE_FALSE(r.ok());
    CHECK(rle_decode(many, 100 * 1024).ok());
  }
}
