// Routing table: the vectors' trieBuffers decode to their buckets and re-encode to the same
// bytes; push rules; malformed buffers are Corrupt.
#include "trie/routing_table.hpp"

#include <doctest/doctest.h>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;

TEST_CASE("every vector trieBuffer decodes to its buckets and re-encodes byte for byte") {
  auto v = hypermount::test::load_vectors("hypertrie.json");
  int checked = 0;
  for (const auto& op : v["operations"]) {
    for (const auto& block : op["blocks"]) {
      const auto& d = block["decoded"];
      if (!d.contains("trieBufferHex")) continue;
      CAPTURE(block["seq"].get<int>());
      const Bytes buf = *from_hex(d["trieBufferHex"].get<std::string>());
      auto table = RoutingTable::decode(buf);
      REQUIRE(table);
      CHECK(table->length() == d["trieLength"].get<uint64_t>());
      size_t buckets = 0;
      for (const auto& [index, slots] : d["buckets"].items()) {
        ++buckets;
        for (const auto& [slot, seq] : slots.items()) {
          CHECK(table->slot(std::stoull(index), std::stoull(slot)) == seq.get<uint64_t>());
        }
      }
      CHECK(table->buckets().size() == buckets);
      CHECK(table->encode() == buf);
      ++checked;
    }
  }
  CHECK(checked == 21);
}

TEST_CASE("spec §5.2 worked example") {
  const Bytes buf = *from_hex("22010d0a0c090303040821050302");
  auto t = RoutingTable::decode(buf);
  REQUIRE(t);
  CHECK(t->slot(1, 0) == 10);
  CHECK(t->slot(1, 1) == 0);
  CHECK(t->slot(1, 2) == 12);
  CHECK(t->slot(1, 3) == 9);
  CHECK(t->slot(3, 0) == 4);
  CHECK(t->slot(3, 1) == 8);
  CHECK(t->slot(33, 0) == 3);
  CHECK(t->slot(33, 2) == 2);
  CHECK(t->bucket(2) == nullptr);
}

TEST_CASE("push moves past occupied slots and ignores known seqs") {
  RoutingTable t;
  CHECK(t.encode() == Bytes{0x00});
  t.push(33, 4, 1);
  CHECK(to_hex(t.encode()) == "22211001");
  t.push(33, 2, 2);
  CHECK(to_hex(t.encode()) == "2221140201");
  t.push(33, 7, 9);  // digit 2 again: collision slot 7
  CHECK(t.slot(33, 7) == 9);
  t.push(33, 2, 9);  // already present
  CHECK(t.slot(33, 12) == 0);
  auto again = RoutingTable::decode(t.encode());
  REQUIRE(again);
  CHECK(*again == t);
}

TEST_CASE("malformed trie buffers are corrupt") {
  for (const char* hex : {"", "80", "0501", "050180", "050103", "05010301", "0501ffffffffffffffffff01"}) {
    CAPTURE(hex);
    auto t = RoutingTable::decode(*from_hex(hex));
    REQUIRE_FALSE(t);
    CHECK(t.error().code() == Errc::Corrupt);
  }
  // A repeated index: the later bucket wins, as in the JS.
  auto t = RoutingTable::decode(*from_hex("03010105010206"));
  REQUIRE(t);
  CHECK(t->slot(1, 0) == 0);
  CHECK(t->slot(1, 1) == 6);
}
