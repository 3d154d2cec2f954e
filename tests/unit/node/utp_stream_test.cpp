// Replication over uTP on the shared DHT socket, over loopback: a PeerSet accepts the
// connection as responder, the client dials from its own socket; more than the uTP send buffer
// goes through, and both ends name the transport "utp".
#include "node/peer_set.hpp"
#include "node/utp_stream.hpp"

#include "crypto/keys.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

using namespace hypermount;
using namespace hypermount::test;

TEST_CASE("utp stream: a full clone over uTP, accepted by the peer set on the DHT socket") {
  REQUIRE(crypto::init());
  Loop loop;
  const swarm::Ipv4Address any{{127, 0, 0, 1}, 0};
  TempDir dir;
  // 1.6 MB: more than the 1 MiB uTP send buffer, so writes wait in the stream
  auto writer = make_writer(dir / "w", 400, 4000);
  auto replica = make_replica(dir / "r", writer->key());
  {
    auto server_socket = swarm::DhtSocket::open(loop.loop, any, swarm::DhtConfig{});
    auto client_socket = swarm::DhtSocket::open(loop.loop, any, swarm::DhtConfig{});
    REQUIRE(server_socket);
    REQUIRE(client_socket);
    wire::Replicator server(&loop.loop);
    wire::Replicator client(&loop.loop);
    serve_and_download(server, *writer, client, *replica);
    std::string accepted_over;
    node::PeerSet peers(&loop.loop, server, wire::ProtocolVersion::V8,
                        [&](const std::string& transport) { accepted_over = transport; });
    peers.accept_utp(**server_socket, wire::ProtocolVersion::V8);

    const swarm::Ipv4Address to{{127, 0, 0, 1}, (*server_socket)->port()};
    swarm::UtpConnection* dialled = nullptr;
    bool connected = false;
    auto conn = (*client_socket)->utp().connect(
        to, {{}, [&] { connected = true; }, [](ByteView) {}, [] {}, [](const Error&) {}},
        swarm::DhtSocket::now_us());
    REQUIRE(conn);
    dialled = *conn;
    REQUIRE(loop.run_until([&] { return connected; }));
    REQUIRE(client.add_stream(std::make_unique<node::UtpStream>(&loop.loop, **client_socket, *dialled, to),
                              crypto::NoiseRole::Initiator, wire::ProtocolVersion::V8));
    // The figures while connected (the peers part as soon as the clone is done).
    auto figures = client.peer_figures();
    auto served = server.peer_figures();
    CHECK(loop.run_until([&] {
      if (auto now = client.peer_figures(); !now.empty()) figures = std::move(now);
      if (auto now = server.peer_figures(); !now.empty()) served = std::move(now);
      return client.done(*replica);
    }, 60000));
    CHECK(accepted_over == "utp");
    REQUIRE(figures.size() == 1);
    CHECK(figures[0].transport == "utp");
    CHECK(figures[0].address == to.to_string());
    REQUIRE(served.size() == 1);
    CHECK(served[0].transport == "utp");
    CHECK(loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; }));
    CHECK(client.stats().blocks_downloaded == 400);
    CHECK(client.stats().peers_dropped == 0);
    peers.close();
  }
  auto verified = replica->verify_all();
  REQUIRE(verified.ok());
  CHECK(*verified == 400);
}
