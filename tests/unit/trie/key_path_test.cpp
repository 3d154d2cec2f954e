// Key normalization, splitting, SipHash and digit paths against vectors/hypertrie.json keyHashes.
#include "trie/key_path.hpp"

#include <doctest/doctest.h>

#include "crypto/keys.hpp"
#include "trie/node.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;

TEST_CASE("key hashes and digit paths match the JS vectors") {
  REQUIRE(crypto::init());
  auto v = hypermount::test::load_vectors("hypertrie.json");
  REQUIRE(v["keyHashes"].size() >= 10);
  for (const auto& k : v["keyHashes"]) {
    const std::string input = k["input"];
    const bool hidden = k["hidden"];
    CAPTURE(input);
    CHECK(normalize_key(input) == k["normalizedKey"].get<std::string>());
    const auto parts = split_key(normalize_key(input));
    CHECK(parts == k["components"].get<std::vector<std::string>>());
    const Bytes hash = hash_components(parts);
    CHECK(to_hex(hash) == k["hash"].get<std::string>());
    CHECK(path_length(hash) == k["length"].get<uint64_t>());
    std::string digits;
    for (uint64_t i = 0; i < path_length(hash); ++i) {
      digits.push_back(static_cast<char>('0' + path_digit(hash, hidden, i)));
    }
    CHECK(digits == k["digits"].get<std::string>());
    // The Node type computes the same path.
    Node node(input, std::nullopt, hidden ? kHiddenFlag : 0);
    CHECK(node.length() == path_length(hash));
    CHECK(node.digit(0) == (hidden ? 1 : 0));
  }
}

TEST_CASE("split keeps empty middle components and drops one empty end each side") {
  CHECK(split_key("") == std::vector<std::string>{});
  CHECK(split_key("/") == std::vector<std::string>{});
  CHECK(split_key("a//b") == std::vector<std::string>{"a", "", "b"});
  CHECK(split_key("a/") == std::vector<std::string>{"a"});
  CHECK(split_key("/a/") == std::vector<std::string>{"a"});
  CHECK(split_key("a//") == std::vector<std::string>{"a", ""});
  CHECK(normalize_key("//x") == "/x");
  CHECK(normalize_key("") == "");
}

TEST_CASE("terminators are positive multiples of 32") {
  CHECK_FALSE(is_terminator(0));
  CHECK(is_terminator(32));
  CHECK(is_terminator(64));
  CHECK_FALSE(is_terminator(33));
  CHECK_FALSE(is_terminator(65));
}

TEST_CASE("collision rule compares component strings at terminators") {
  REQUIRE(crypto::init());
  Node a("x/y", std::nullopt, 0);
  Node b("x/z", std::nullopt, 0);
  Node c("x", std::nullopt, 0);
  CHECK_FALSE(a.collides(b, 0));
  CHECK_FALSE(a.collides(b, 32));
  CHECK(a.collides(b, 64));
  CHECK(a.collides(c, 64));  // a missing component differs
  CHECK(c.collides(a, c.length() - 1));  // last index: whole keys differ
}
