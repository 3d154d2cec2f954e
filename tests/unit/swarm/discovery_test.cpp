#include "swarm/discovery.hpp"

#include "sim_network.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

using test::SimNetwork;

TEST_CASE("discovery: a joined topic is announced now and again 300-600 s after each round; "
          "leaving unannounces it") {
  SimNetwork net;
  auto& root = net.add(false);
  auto& a = net.add(true, {root.address});
  auto& b = net.add(true, {root.address});
  Discovery announcer(*a.hyper, *a.node);
  Discovery seeker(*b.hyper, *b.node);
  NodeId topic{};
  topic[5] = 9;

  size_t rounds = 0;
  announcer.join(topic, {true, false, {}}, [](const FoundPeer&) {}, [&](Status s) {
    CHECK(s.ok());
    ++rounds;
  });
  net.run();
  CHECK(rounds == 1);
  // Housekeeping ticks are 5 s: no new round before 300 s, one by 600 s.
  for (int tick = 1; tick < 60; ++tick) {
    announcer.housekeeping();
    net.run();
  }
  CHECK(rounds == 1);
  for (int tick = 60; tick <= 121; ++tick) {
    announcer.housekeeping();
    net.run();
  }
  CHECK(rounds == 2);

  std::vector<FoundPeer> found;
  seeker.join(topic, {false, true, {}}, [&](const FoundPeer& p) { found.push_back(p); });
  net.run();
  REQUIRE(found.size() == 1);
  CHECK(found[0].address == a.address);
  CHECK(found[0].referrer == root.address);
  CHECK(!found[0].local);

  announcer.leave(topic);
  CHECK(announcer.topics() == 0);
  net.run();
  CHECK(root.hyper->store().size() == 0);
}

TEST_CASE("peer store: records age out after two rotations and the store stays bounded") {
  PeerStore store;
  auto first = [](uint64_t) { return uint64_t{0}; };
  store.add("t", {1});
  store.add("t", {2});
  store.add("t", {1});  // a refresh, not a second record
  CHECK(store.get("t", 10, {}, first).size() == 2);
  CHECK(store.get("t", 10, {2}, first) == std::vector<Bytes>{{1}});
  store.rotate();
  store.add("t", {2});  // refreshed into the new generation
  store.rotate();
  CHECK(store.get("t", 10, {}, first) == std::vector<Bytes>{{2}});
  store.remove("t", {2});
  CHECK(store.size() == 0);
  for (uint32_t i = 0; i < kMaxRecords * 2; ++i) {
    store.add("k", {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8),
                    static_cast<uint8_t>(i >> 16)});
  }
  CHECK(store.size() <= kMaxRecords);
  CHECK(store.get("k", 128, {}, first).size() == 128);
}

}  // namespace
}  // namespace hypermount::swarm
