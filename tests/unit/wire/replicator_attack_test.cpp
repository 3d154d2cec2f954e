// Replicator against hostile peers on bare Connections while an honest peer clones: thousands of
// channels for feeds the server lacks, requests past the end, a request flood, oversized frames
// and slow (never-finished) frames. Each attack prints its peak RSS for the record.
#include "wire/replicator.hpp"

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "hostile_peers.hpp"
#include "memory_probe.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"
#include "util/varint.hpp"
#include "wire/frame.hpp"
#include "wire/stream_transport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace hypermount;
using hypermount::test::TempDir;
using namespace hypermount::test;

namespace {

constexpr uint64_t kBlocks = 40;

// A writer served by `server`, and an honest `client` linked to it with an empty replica that
// downloads once clone() is called; hostile peers dial port().
struct Scene {
  TempDir dir;
  Loop loop;
  std::unique_ptr<core::Core> writer = make_writer(dir / "w", kBlocks, 1000);
  std::unique_ptr<core::Core> replica = make_replica(dir / "r", writer->key());
  wire::Replicator server;
  wire::Replicator client;
  Link link;

  explicit Scene(const wire::ReplicatorOptions& options = {})
      : server(&loop.loop, options), client(&loop.loop, options) {
    REQUIRE(server.add_core(*writer, {}).ok());
    REQUIRE(client.add_core(*replica, {}).ok());
    link = connect(&loop.loop, client, server);
  }
  ~Scene() {
    client.close_all();
    server.close_all();
  }
  uint16_t port() const { return link.listener->port(); }

  // Downloads the whole log from the server; true when every block is here and verifies.
  // `while_waiting` runs at every turn of the wait.
  bool clone(const std::function<void()>& while_waiting = [] {}) {
    REQUIRE(client.download(*replica, 0, std::nullopt).ok());
    bool done = loop.run_until([&] {
      while_waiting();
      return client.done(*replica);
    }, 60000);
    auto verified = replica->verify_all();
    return done && replica->blocks_present() == kBlocks && verified.ok() && *verified == kBlocks;
  }
};

// Opens `junk` channels for random feeds, then the real one, and sends `requests` Requests on
// it at once (every block over and over, and a third of them past the end of the log).
HostileClient::Script flood(const crypto::PublicKey& key, int junk, int requests) {
  return [key, junk, requests](wire::Session& session) {
    bool sent = true;
    for (int i = 0; i < junk; ++i) sent = session.open(crypto::random_key_pair().public_key).ok() && sent;
    auto id = session.open(key);
    REQUIRE(id.ok());
    for (int i = 0; i < requests; ++i) {
      uint64_t index = i % 3 == 0 ? kBlocks + static_cast<uint64_t>(i) : static_cast<uint64_t>(i) % kBlocks;
      sent = session.send(*id, wire::Request{index, std::nullopt, std::nullopt, std::nullopt}).ok() && sent;
    }
    CHECK(sent);
  };
}

void run_flood(int junk, int requests, bool expect_dropped) {
  Scene scene;
  MemoryProbe probe;
  HostileClient attacker(&scene.loop.loop, scene.port(), flood(scene.writer->key(), junk, requests));
  CHECK(scene.loop.run_until([&] { return attacker.refused() >= junk; }, 60000));
  CHECK(attacker.refused() == junk);  // every unknown feed closed, the real one kept
  bool verified = scene.clone();
  CHECK(verified);
  if (expect_dropped) {
    CHECK(scene.loop.run_until([&] { return attacker.closed(); }, 60000));
    CHECK(scene.server.stats().peers_dropped >= 1);
  } else {
    // answered: every request for a block it has, none past the end
    int answerable = requests - (requests + 2) / 3;
    CHECK(scene.loop.run_until([&] { return attacker.data() >= answerable; }, 60000));
    CHECK(attacker.data() == answerable);
    CHECK_FALSE(attacker.closed());
  }
  probe.report(expect_dropped ? "request flood" : "unknown channels",
               fmt::format("{} Opens for unknown feeds, {} Requests", junk, requests), verified);
}

// Plaintext that opens the writer's feed and then sends `bytes` as they are.
HostileClient::Script open_then(const crypto::PublicKey& key, Bytes bytes) {
  return [key, bytes](wire::Session& session) {
    REQUIRE(session.open(key).ok());
    REQUIRE(session.send_raw_for_test(bytes).ok());
  };
}

Bytes varint_bytes(uint64_t value) {
  Bytes out;
  put_varint(out, value);
  return out;
}

// A Data frame on channel 1 whose block field (protobuf field 2) claims `claimed` bytes, followed
// by 32 of them.
Bytes data_claiming(uint64_t claimed) {
  Bytes body = {0x08, 0x00, 0x12};  // index 0, then the value's length
  put_varint(body, claimed);
  body.resize(body.size() + 32, 0xab);
  return wire::encode_raw_frame(1, static_cast<uint8_t>(wire::MessageType::Data), body);
}

}  // namespace

TEST_CASE("replicator attack: 5,000 channels for unknown feeds and requests past the end are refused; an honest peer clones") {
  REQUIRE(crypto::init());
  run_flood(5000, 600, false);
}

TEST_CASE("replicator attack: a request flood past the queue limit drops that peer only") {
  REQUIRE(crypto::init());
  run_flood(10, 50000, true);
}

TEST_CASE("replicator attack: oversized frames and a Data claiming a huge block drop that peer, nothing of that size is allocated") {
  REQUIRE(crypto::init());
  const uint64_t limit = wire::kMaxMessageSize + varint_size(wire::frame_header(wire::kMaxChannel, 15));
  struct Variant {
    std::string name;
    uint64_t claimed;
    Bytes bytes;
  };
  std::vector<Variant> variants;
  variants.push_back({"frame length prefix claiming 4 GiB", uint64_t{4} << 30, varint_bytes(uint64_t{4} << 30)});
  variants.push_back({"frame one byte over the 8 MiB limit", limit + 1, varint_bytes(limit + 1)});
  variants.push_back({"64-byte Data whose block claims 1 GiB", uint64_t{1} << 30, data_claiming(uint64_t{1} << 30)});
  for (Variant& variant : variants) {
    CAPTURE(variant.name);
    Scene scene;
    MemoryProbe probe;
    HostileClient attacker(&scene.loop.loop, scene.port(),
                           open_then(scene.writer->key(), variant.bytes));
    CHECK(scene.loop.run_until([&] { return attacker.closed(); }, 60000));
    // Measured before the clone, whose own allocations (kept in quarantine by a sanitizer)
    // are not the attack's.
    probe.sample();
    double claimed_mib = static_cast<double>(variant.claimed) / kMiB;
    CHECK(probe.rss_growth_mib() < claimed_mib / 2);
    CHECK(probe.heap_growth_mib() < claimed_mib / 2);
    bool verified = scene.clone();
    CHECK(verified);
    probe.report("oversized message", variant.name, verified);
  }
}

TEST_CASE("replicator attack: 200 peers trickling an 8 MiB frame a byte at a time are dropped; an honest peer clones") {
  REQUIRE(crypto::init());
  // Short timeouts so that the test takes seconds; the trickle (a byte per peer every 100 ms)
  // comes well within them, so only the rule "a complete message within the idle timeout"
  // drops these peers.
  wire::ReplicatorOptions options;
  options.connection.keep_alive_ms = 250;
  options.connection.idle_timeout_ms = 3000;
  Scene scene(options);
  MemoryProbe probe;
  constexpr int kSlowPeers = 200;
  // The frame header of an 8 MiB Data on channel 1, then nothing more at once.
  Bytes header = varint_bytes(wire::kMaxMessageSize);
  put_varint(header, wire::frame_header(1, static_cast<uint8_t>(wire::MessageType::Data)));
  std::vector<std::unique_ptr<HostileClient>> slow;
  for (int i = 0; i < kSlowPeers; ++i) {
    slow.push_back(std::make_unique<HostileClient>(&scene.loop.loop, scene.port(),
                                                   open_then(scene.writer->key(), header)));
  }
  uint64_t last_trickle = uv_now(&scene.loop.loop);
  uint64_t trickled = 0;
  auto trickle = [&] {
    uint64_t now = uv_now(&scene.loop.loop);
    if (now - last_trickle < 100) return;
    last_trickle = now;
    for (auto& peer : slow) {
      if (!peer->ready() || peer->closed()) continue;
      peer->send([](wire::Session& session) { REQUIRE(session.send_raw_for_test(Bytes{0x07}).ok()); });
      ++trickled;
    }
  };
  auto count = [&](auto pred) {
    return std::count_if(slow.begin(), slow.end(), [&](const auto& peer) { return pred(*peer); });
  };
  CHECK(scene.loop.run_until([&] {
    trickle();
    return count([](const HostileClient& p) { return p.ready() || p.closed(); }) == kSlowPeers;
  }, 60000));
  bool verified = scene.clone(trickle);
  CHECK(verified);
  probe.sample();
  CHECK(scene.loop.run_until([&] {
    trickle();
    probe.sample();
    return count([](const HostileClient& p) { return p.closed(); }) == kSlowPeers;
  }, 60000));
  CHECK(scene.client.stats().peers_dropped == 0);
  CHECK(trickled > 0);
  probe.report("slow messages",
               fmt::format("{} connections, each an 8 MiB frame header then 1 byte per 100 ms ({} bytes "
                           "trickled in all)",
                           kSlowPeers, trickled),
               verified);
  // Each would hold 8 MiB if the claimed length were reserved up front.
  CHECK(probe.heap_growth_mib() < 100);
  CHECK(probe.rss_growth_mib() < 400);
}
