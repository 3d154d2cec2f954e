// SipHash collisions: 'idgcmnmna' and 'mpomeiehc' share their 64-bit hash (hypertrie's own
// test/collisions.js); the expectations below are the ones that test makes of the JS.
#include <doctest/doctest.h>

#include "crypto/keys.hpp"
#include "trie/trie.hpp"
#include "vector_trie.hpp"

using namespace hypermount;
using namespace hypermount::trie;
using hypermount::trie::test::text;

namespace {

constexpr const char* kA = "idgcmnmna";
constexpr const char* kB = "mpomeiehc";

std::string value_of(Trie& t, std::string_view key) {
  auto r = t.get(key);
  REQUIRE(r);
  if (!*r) return "<null>";
  REQUIRE((*r)->value());
  return std::string((*r)->value()->begin(), (*r)->value()->end());
}

std::vector<std::string> keys_of(Result<std::vector<NodePtr>> r) {
  REQUIRE(r);
  std::vector<std::string> out;
  for (const auto& n : *r) out.push_back(n->key());
  return out;
}

}  // namespace

TEST_CASE("the two keys really collide") {
  REQUIRE(crypto::init());
  CHECK(hash_components({kA}) == hash_components({kB}));
}

TEST_CASE("two keys with the same siphash: both readable, collision slot layout") {
  REQUIRE(crypto::init());
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  REQUIRE(t->put(kA, as_bytes("a")));
  auto b = t->put(kB, as_bytes("b"));
  REQUIRE(b);
  REQUIRE(*b);
  // The second node points at the first from the terminator bucket 32, slot = the shared digit.
  const Node& nb = **b;
  REQUIRE(nb.trie().buckets().size() == 1);
  CHECK(nb.trie().buckets()[0].index == 32);
  CHECK(nb.trie().slot(32, nb.digit(32)) == 1);
  CHECK(value_of(*t, kA) == "a");
  CHECK(value_of(*t, kB) == "b");
  // A third key after them keeps both reachable; overwriting one keeps the other.
  REQUIRE(t->put("foo", as_bytes("bar")));
  REQUIRE(t->put(kA, as_bytes("a2")));
  CHECK(value_of(*t, kA) == "a2");
  CHECK(value_of(*t, kB) == "b");
  CHECK(value_of(*t, "foo") == "bar");
  CHECK(keys_of(t->list()).size() == 3);
}

TEST_CASE("two keys with the same siphash in a batch") {
  REQUIRE(crypto::init());
  MemoryLog log;
  auto t = std::move(*Trie::open(log));
  REQUIRE(t->batch({{BatchOp::Type::Put, kA, text("a"), false, 0},
                    {BatchOp::Type::Put, kB, text("b"), false, 0},
                    {BatchOp::Type::Put, "foo", text("bar"), false, 0}}));
  CHECK(value_of(*t, kA) == "a");
  CHECK(value_of(*t, kB) == "b");
  CHECK(value_of(*t, "foo") == "bar");
}

TEST_CASE("iteration over collided keys: ascending key order, prefixes kept apart") {
  REQUIRE(crypto::init());
  {
    MemoryLog log;
    auto t = std::move(*Trie::open(log));
    REQUIRE(t->put(kA, as_bytes("a")));
    REQUIRE(t->put(kB, as_bytes("b")));
    CHECK(keys_of(t->list()) == std::vector<std::string>{kA, kB});
  }
  {
    MemoryLog log;
    auto t = std::move(*Trie::open(log));
    REQUIRE(t->put(std::string(kA) + "/a", as_bytes("a")));
    REQUIRE(t->put(std::string(kB) + "/b", as_bytes("b")));
    CHECK(keys_of(t->list(kA)) == std::vector<std::string>{std::string(kA) + "/a"});
    ListOptions one;
    one.recursive = false;
    CHECK(keys_of(t->list("", one)).size() == 2);
  }
  // The order does not depend on insertion order.
  MemoryLog l1, l2;
  auto t1 = std::move(*Trie::open(l1));
  auto t2 = std::move(*Trie::open(l2));
  std::vector<BatchOp> o1, o2;
  for (const char* k : {kA, kB, "a", "b", "c"}) o1.push_back({BatchOp::Type::Put, k, std::nullopt, false, 0});
  for (const char* k : {"b", kB, "a", kA, "c"}) o2.push_back({BatchOp::Type::Put, k, std::nullopt, false, 0});
  REQUIRE(t1->batch(o1));
  REQUIRE(t2->batch(o2));
  const auto k1 = keys_of(t1->list());
  CHECK(k1.size() == 5);
  CHECK(k1 == keys_of(t2->list()));
}
