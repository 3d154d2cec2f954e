// Replicator against a hostile peer on a bare Connection: thousands of channels for feeds the
// server lacks, requests past the end, and a request flood, while an honest peer clones.
#include "wire/replicator.hpp"

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "crypto/noise_dh.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"
#include "wire/stream_transport.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <variant>

using namespace hypermount;
using hypermount::test::TempDir;
using namespace hypermount::test;

namespace {

// Opens `junk` channels for random feeds, then the real one, and sends `requests` Requests
// on it at once (every block over and over, and blocks past the end), reading what comes back.
class FloodClient : public wire::ConnectionHandler {
 public:
  FloodClient(uv_loop_t* loop, wire::StreamHandle stream, const crypto::PublicKey& key, int junk,
              uint64_t length, int requests)
      : key_(key), junk_(junk), length_(length), requests_(requests) {
    wire::ConnectionOptions options;
    options.session.role = crypto::NoiseRole::Initiator;
    options.session.version = wire::ProtocolVersion::V8;
    options.session.static_key = crypto::random_dh_key_pair();
    connection_ = std::make_unique<wire::Connection>(loop, std::move(stream), options, *this);
    REQUIRE(connection_->start().ok());
  }
  bool closed() const { return closed_; }
  int refused() const { return refused_; }
  int data() const { return data_; }

  void on_session_events(wire::Connection& c) override {
    for (auto& event : c.session().take_events()) {
      if (std::holds_alternative<wire::HandshakeCompleted>(event)) {
        bool sent = true;
        for (int i = 0; i < junk_; ++i) sent = c.session().open(crypto::random_key_pair().public_key).ok() && sent;
        auto id = c.session().open(key_);
        REQUIRE(id.ok());
        for (int i = 0; i < requests_; ++i) {
          // a third of them past the end of the log
          uint64_t index = i % 3 == 0 ? length_ + static_cast<uint64_t>(i) : static_cast<uint64_t>(i) % length_;
          sent = c.session().send(*id, wire::Request{index, std::nullopt, std::nullopt, std::nullopt}).ok() && sent;
        }
        CHECK(sent);
      } else if (std::holds_alternative<wire::ChannelClosed>(event)) {
        ++refused_;
      } else if (auto* m = std::get_if<wire::ChannelMessage>(&event)) {
        if (std::holds_alternative<wire::Data>(m->message)) ++data_;
      }
    }
    auto flushed = c.flush();
    (void)flushed;
  }
  void on_drained(wire::Connection&) override {}
  void on_closed(wire::Connection&, const Error&) override { closed_ = true; }

 private:
  crypto::PublicKey key_;
  int junk_;
  uint64_t length_;
  int requests_;
  std::unique_ptr<wire::Connection> connection_;
  bool closed_ = false;
  int refused_ = 0;
  int data_ = 0;
};

// The server and an honest client linked; a flood client dials the same listener.
void run_attack(int junk, int requests, bool expect_dropped) {
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 40, 1000);
  auto replica = make_replica(dir / "r", writer->key());
  wire::Replicator server(&loop.loop);
  wire::Replicator client(&loop.loop);
  REQUIRE(server.add_core(*writer, {}).ok());
  REQUIRE(client.add_core(*replica, {}).ok());
  std::unique_ptr<FloodClient> flood;
  Link link = connect(&loop.loop, client, server);
  auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", link.listener->port()));
  REQUIRE(target.ok());
  REQUIRE(wire::dial_tcp(&loop.loop, *target, [&](Result<wire::StreamHandle> s) {
            REQUIRE(s.ok());
            flood = std::make_unique<FloodClient>(&loop.loop, std::move(*s), writer->key(), junk, 40, requests);
          }).ok());
  CHECK(loop.run_until([&] { return flood && flood->refused() >= junk; }, 60000));
  CHECK(flood->refused() == junk);  // every unknown feed closed, the real one kept
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  CHECK(loop.run_until([&] { return client.done(*replica); }, 60000));
  CHECK(replica->blocks_present() == 40);
  CHECK(replica->verify_all().ok());
  if (expect_dropped) {
    CHECK(loop.run_until([&] { return flood->closed(); }, 60000));
    CHECK(server.stats().peers_dropped >= 1);
  } else {
    // answered: every request for a block it has, none past the end
    CHECK(loop.run_until([&] { return flood->data() >= requests - (requests + 2) / 3; }, 60000));
    CHECK(flood->data() == requests - (requests + 2) / 3);
    CHECK_FALSE(flood->closed());
  }
  client.close_all();
  server.close_all();
  flood.reset();
  CHECK(loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; }));
}

}  // namespace

TEST_CASE("replicator: 5,000 channels for unknown feeds and requests past the end are refused; an honest peer clones") {
  REQUIRE(crypto::init());
  run_attack(5000, 600, false);
}

TEST_CASE("replicator: a request flood past the queue limit drops that peer only") {
  REQUIRE(crypto::init());
  run_attack(10, 50000, true);
}
