// PeerSet's found peers over real loopback TCP: dialled once whatever discovery repeats, a
// dead one retried with backoff and then forgotten, a lost one dialled again; one connection
// per remote (two peers dialling each other), none to ourselves.
#include "node/peer_set.hpp"

#include "crypto/keys.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"

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
    node::PeerSet peers(&loop.loop, client, wire::ProtocolVersion::V8, [&](const std::string&) { ++connects; });
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

TEST_CASE("peer set: two peers that dial each other keep one connection, the same on both sides") {
  REQUIRE(crypto::init());
  TempDir dir;
  auto writer = make_writer(dir / "writer", 8, 1000);
  auto replica = make_replica(dir / "replica", writer->key());
  Loop loop;
  {
    wire::Replicator a(&loop.loop), b(&loop.loop);
    REQUIRE(a.add_core(*writer, {.upload = true, .live = true}));
    REQUIRE(b.add_core(*replica, {.upload = true, .live = true}));
    node::PeerSet peers_a(&loop.loop, a, wire::ProtocolVersion::V8, nullptr);
    node::PeerSet peers_b(&loop.loop, b, wire::ProtocolVersion::V8, nullptr);
    auto port_a = peers_a.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
    auto port_b = peers_b.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
    REQUIRE(port_a);
    REQUIRE(port_b);
    peers_a.add_found(fmt::format("127.0.0.1:{}", *port_b));
    peers_b.add_found(fmt::format("127.0.0.1:{}", *port_a));
    // Both connections are made and one is closed: if the two sides disagreed on which, each
    // would close a different one and neither would stay connected.
    REQUIRE(loop.run_until([&] {
      return a.stats().duplicates_closed + b.stats().duplicates_closed >= 1 && a.peer_count() == 1 &&
             b.peer_count() == 1 && peers_a.any_connected() && peers_b.any_connected();
    }));
    std::optional<Result<Bytes>> got;
    REQUIRE(b.get(*replica, 5, [&](Result<Bytes> block) { got = std::move(block); }));
    REQUIRE(loop.run_until([&] { return got.has_value(); }));
    REQUIRE(got->ok());
    CHECK(**got == block_bytes(5, 1000));
    // The slot whose connection was closed as the duplicate is not redialled meanwhile.
    CHECK(a.peer_count() == 1);
    CHECK(b.peer_count() == 1);
    peers_a.close();
    peers_b.close();
    loop.run_until([&] { return a.peer_count() == 0 && b.peer_count() == 0; });
  }
}

TEST_CASE("peer set: an address that turns out to be ourselves is closed and never dialled again") {
  REQUIRE(crypto::init());
  Loop loop;
  {
    wire::Replicator replicator(&loop.loop);
    int connects = 0;
    node::PeerSet peers(&loop.loop, replicator, wire::ProtocolVersion::V8, [&](const std::string&) { ++connects; });
    peers.set_found_backoff_ms({10, 20, 30});
    auto port = peers.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
    REQUIRE(port);
    const std::string self = fmt::format("127.0.0.1:{}", *port);
    peers.add_found(self);
    REQUIRE(loop.run_until([&] { return replicator.stats().duplicates_closed >= 1 && replicator.peer_count() == 0; }));
    // Longer than every backoff: still one dial, and discovery naming it again adds nothing.
    const int seen = connects;
    peers.add_found(self);
    CHECK_FALSE(loop.run_until([&] { return connects > seen; }, 200));
    CHECK(peers.found_count() == 1);
    CHECK_FALSE(peers.any_connected());
    peers.close();
    loop.run_until([] { return false; }, 20);
  }
}

TEST_CASE("peer set: accepted connections are bounded") {
  REQUIRE(crypto::init());
  Loop loop;
  {
    wire::Replicator server(&loop.loop);
    node::PeerSet listening(&loop.loop, server, wire::ProtocolVersion::V8, nullptr);
    auto port = listening.listen("127.0.0.1:0", wire::ProtocolVersion::V8);
    REQUIRE(port);
    // Raw TCP connections that never speak: each would hold a replicator peer until its timeout.
    const size_t dials = node::PeerSet::kMaxConnections + 20;
    std::vector<Result<wire::StreamHandle>> streams;
    streams.reserve(dials);
    for (size_t i = 0; i < dials; ++i) {
      sockaddr_in at{};
      REQUIRE(uv_ip4_addr("127.0.0.1", *port, &at) == 0);
      REQUIRE(wire::dial_tcp(&loop.loop, at, [&streams](Result<wire::StreamHandle> s) { streams.push_back(std::move(s)); }));
    }
    REQUIRE(loop.run_until([&] { return streams.size() == dials; }));
    loop.run_until([] { return false; }, 100);
    CHECK(server.peer_count() == node::PeerSet::kMaxConnections);
    streams.clear();
    listening.close();
    loop.run_until([&] { return server.peer_count() == 0; });
  }
}
