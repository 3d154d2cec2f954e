// Node and header codec: every vector block decodes to its fields and re-encodes to the JS
// bytes; malformed blocks give Corrupt.
#include "trie/node.hpp"

#include <doctest/doctest.h>

#include <random>

#include "crypto/keys.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;

TEST_CASE("every vector node block decodes and re-encodes byte for byte") {
  REQUIRE(crypto::init());
  auto v = hypermount::test::load_vectors("hypertrie.json");
  int nodes = 0;
  for (const auto& op : v["operations"]) {
    for (const auto& block : op["blocks"]) {
      const uint64_t seq = block["seq"];
      const Bytes bytes = *from_hex(block["hex"].get<std::string>());
      CAPTURE(seq);
      const auto& d = block["decoded"];
      if (seq == 0) {
        auto h = decode_header(bytes);
        REQUIRE(h);
        CHECK(h->type == "hypertrie");
        CHECK_FALSE(h->metadata);
        CHECK(encode_header(*h) == bytes);
        continue;
      }
      auto n = decode_node(bytes, seq);
      REQUIRE(n);
      CHECK(n->key() == d["key"].get<std::string>());
      REQUIRE(n->value());
      CHECK(to_hex(*n->value()) == d["valueHex"].get<std::string>());
      CHECK(n->stored_flags() == d["flagsField"].get<uint64_t>());
      CHECK(n->seq() == d["seqField"].get<uint64_t>());
      CHECK(to_hex(n->trie().encode()) == d["trieBufferHex"].get<std::string>());
      CHECK(encode_node(*n) == bytes);
      ++nodes;
    }
  }
  CHECK(nodes == 21);
}

TEST_CASE("presence rules: null value omitted, empty value kept, zero seq and flags written") {
  REQUIRE(crypto::init());
  Node empty_marker("", std::nullopt, 0);
  empty_marker.set_seq(2);
  CHECK(to_hex(encode_node(empty_marker)) == "0a001a01002002" "2800");
  Node zero("k", Bytes{}, 0);
  zero.set_seq(1);
  CHECK(to_hex(encode_node(zero)) == "0a016b12001a01002001" "2800");
  Node flagged("m", Bytes{}, (uint64_t{1} << kUserFlagsShift) | kHiddenFlag);
  CHECK(flagged.user_flags() == 1);
  CHECK(flagged.hidden());
  CHECK(to_hex(encode_node(flagged)).ends_with("288102"));
  auto back = decode_node(encode_node(zero), 1);
  REQUIRE(back);
  REQUIRE(back->value());
  CHECK(back->value()->empty());
}

TEST_CASE("decoding strips one leading slash from a stored key, as the JS Node constructor") {
  REQUIRE(crypto::init());
  // put('//x') stores '/x'; reading it back gives 'x' with the same hash (found by fuzzing).
  Node stored("//x", Bytes{}, 0);
  CHECK(stored.key() == "/x");
  auto back = decode_node(encode_node(stored), 1);
  REQUIRE(back);
  CHECK(back->key() == "x");
  CHECK(back->hash() == stored.hash());
}

TEST_CASE("headers: metadata, hypertrie 5 subtype, unknown fields") {
  Header h;
  h.metadata = Bytes(32, 0xab);
  const Bytes b = encode_header(h);
  CHECK(b.size() == 45);
  CHECK(to_hex(b).starts_with("0a09687970657274726965" "1220"));
  h.subtype = "hyperdrive";
  const Bytes b5 = encode_header(h);
  CHECK(b5.size() == 57);
  CHECK(to_hex(b5).ends_with("1a0a68797065726472697665"));
  auto back = decode_header(b5);
  REQUIRE(back);
  CHECK(back->subtype == std::optional<std::string>("hyperdrive"));
  CHECK(back->metadata == h.metadata);
  // A missing type is corrupt.
  auto bad = decode_header(*from_hex("1200"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Errc::Corrupt);
}

TEST_CASE("malformed node blocks are corrupt") {
  REQUIRE(crypto::init());
  const char* cases[] = {
      "",                          // no key (required)
      "1203616263",                // value but no key
      "0a05686568",                // key length past the end
      "0a01611a0180",              // trie buffer with a truncated varint
      "0a01611a00",                // present but empty trie buffer
      "0a01611a03050103",          // bucket with a missing seq
      "0a016120",                  // truncated seq field
      "0a0161ff",                  // bad tag
      "0a01611a0301ffffffffffffffffff7f",
  };
  for (const char* hex : cases) {
    CAPTURE(hex);
    auto n = decode_node(*from_hex(hex), 3);
    REQUIRE_FALSE(n);
    CHECK(n.error().code() == Errc::Corrupt);
  }
}

TEST_CASE("random bytes never crash the node decoder") {
  REQUIRE(crypto::init());
  std::mt19937 rng(7);
  auto v = hypermount::test::load_vectors("hypertrie.json");
  std::vector<Bytes> seeds;
  for (const auto& op : v["operations"]) {
    for (const auto& block : op["blocks"]) seeds.push_back(*from_hex(block["hex"].get<std::string>()));
  }
  int ok = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes b = seeds[rng() % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips && !b.empty(); ++f) {
      switch (rng() % 3) {
        case 0: b[rng() % b.size()] = static_cast<uint8_t>(rng()); break;
        case 1: b.resize(rng() % b.size()); break;
        default: b.insert(b.begin() + static_cast<long>(rng() % b.size()), static_cast<uint8_t>(rng())); break;
      }
    }
    auto n = decode_node(b, 1);
    if (n) {
      ++ok;
      auto again = decode_node(encode_node(*n), 1);
      CHECK(again);
    } else {
      CHECK(n.error().code() == Errc::Corrupt);
    }
  }
  CHECK(ok > 0);
}
