// PeerSet's found peers over real loopback TCP: dialled once whatever discovery repeats, a
// dead one retried with backoff and then forgotten, a lost one dialled again.
#include "node/peer_set.hpp"

#include "crypto/keys.hpp"
#include "replication_fixture.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <memory>

using namespace hypermount;
using namespace hypermount::test;

namespace {

// A port nothing listens on: one the system gave a listener that is closed again.
uint16_t dead_port(Loop& loop, wire::Replicator& replicator) {
  node::PeerSet probe(&loop.loop, replicator, wire::ProtocolVersion::V8, nullptr);
  auto port = probe.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
  REQUIRE(port);
  probe.close();
  loop.run_until([] { return false; }, 20);
  return *port;
}

}  // namespace

TEST_CASE("peer set: a found peer is dialled once, however often discovery names it") {
  REQUIRE(crypto::init());
  Loop loop;
  {
    wire::Replicator server(&loop.loop), client(&loop.loop);
    node::PeerSet listening(&loop.loop, server, wire::ProtocolVersion::V8, nullptr);
    auto port = listening.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
    REQUIRE(port);
    int connects = 0;
    node::PeerSet peers(&loop.loop, client, wire::ProtocolVersion::V8, [&] { ++connects; });
    const std::string address = fmt::format("127.0.0.1:{}", *port);
    for (int i = 0; i < 5; ++i) peers.add_found(address);
    CHECK(peers.found_count() == 1);
    REQUIRE(loop.run_until([&] { return peers.any_connected(); }));
    peers.add_found(address);  // again while connected
    loop.run_until([] { return false; }, 50);
    CHECK(connects == 1);
    CHECK(client.peer_count() == 1);
    CHECK(server.peer_count() == 1);

    // lost: dialled again after the first backoff
    peers.set_found_backoff_ms({20, 40, 60});
    client.close_all();
    REQUIRE(loop.run_until([&] { return connects == 2 && peers.any_connected(); }));
    peers.close();
    listening.close();
    loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; });
  }
}

TEST_CASE("peer set: a found peer that never answers is retried three times, then forgotten") {
  REQUIRE(crypto::init());
  Loop loop;
  {
    wire::Replicator client(&loop.loop);
    const uint16_t port = dead_port(loop, client);
    node::PeerSet peers(&loop.loop, client, wire::ProtocolVersion::V8, nullptr);
    peers.set_found_backoff_ms({10, 20, 30});
    peers.add_found(fmt::format("127.0.0.1:{}", port));
    CHECK(peers.found_count() == 1);
    REQUIRE(loop.run_until([&] { return peers.found_count() == 0; }));
    CHECK_FALSE(peers.any_connected());
    // a later discovery may add it again
    peers.add_found(fmt::format("127.0.0.1:{}", port));
    CHECK(peers.found_count() == 1);
    peers.close();
    loop.run_until([] { return false; }, 20);
  }
}
