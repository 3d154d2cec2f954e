// Replicator: our node to our node over real loopback TCP on one libuv loop (full clone, sparse
// gets, live appends, many cores per connection, peers leaving, bad data, request timeouts).
#include "wire/replicator.hpp"

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "hostile_peers.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"
#include "wire/stream_transport.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <csignal>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

using namespace hypermount;
using hypermount::test::TempDir;
using namespace hypermount::test;

namespace {

void check_blocks(const core::Core& replica, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) {
    auto got = replica.get(i);
    REQUIRE(got.ok());
    CHECK(*got == block_bytes(i, got->size() - 0));
  }
}

}  // namespace

namespace {

void check_full_clone(size_t size) {
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 40, size);
  auto replica = make_replica(dir / "r", writer->key());
  {
    wire::Replicator server(&loop.loop);
    wire::Replicator client(&loop.loop);
    serve_and_download(server, *writer, client, *replica);
    Link link = connect(&loop.loop, client, server);
    CHECK(loop.run_until([&] { return client.done(*replica) && client.stats().blocks_downloaded > 0; }));
    CHECK(loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; }));
    CHECK(replica->length() == 40);
    CHECK(replica->blocks_present() == 40);
    // The bitfield file says so too while the replica is still open: stored blocks reach it
    // within a turn of the loop, not only when the core closes.
    auto on_disk = core::Core::open(dir / "r", store::OpenMode::ReadOnly);
    REQUIRE(on_disk);
    CHECK((*on_disk)->blocks_present() == 40);
    CHECK(client.stats().blocks_downloaded == 40);
    CHECK(server.stats().blocks_uploaded == 40);
    CHECK(client.stats().peers_dropped == 0);
  }
  auto verified = replica->verify_all();
  REQUIRE(verified.ok());
  CHECK(*verified == 40);
  for (uint64_t i = 0; i < 40; ++i) {
    auto got = replica->get(i);
    REQUIRE(got.ok());
    CHECK(*got == block_bytes(i, size + i % 5));
  }
}

}  // namespace

TEST_CASE("replicator: full clone ends both streams (non-live)") {
  REQUIRE(crypto::init());
  check_full_clone(1000);  // small blocks: hashed on the loop
}

TEST_CASE("replicator: full clone of 64 KiB blocks, hashed on the thread pool") {
  REQUIRE(crypto::init());
  check_full_clone(64 * 1024);
}

TEST_CASE("replicator: a large block whose bytes cannot be written stays absent and fails its get") {
  // Large blocks are written on the thread pool once verified: a failed write (a data file held
  // to 300 KiB by RLIMIT_FSIZE, standing for a full disk) must not leave them present.
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 40, 64 * 1024);
  auto replica = make_replica(dir / "r", writer->key());
  wire::Replicator server(&loop.loop);
  wire::Replicator client(&loop.loop);
  REQUIRE(server.add_core(*writer, {}).ok());
  REQUIRE(client.add_core(*replica, {}).ok());
  Link link = connect(&loop.loop, client, server);
  std::optional<Result<Bytes>> first;
  std::optional<Result<Bytes>> far;
  REQUIRE(client.get(*replica, 1, [&](Result<Bytes> got) { first = std::move(got); }).ok());
  CHECK(loop.run_until([&] { return first.has_value(); }));
  REQUIRE(first);
  REQUIRE(first->ok());
  CHECK(**first == block_bytes(1, 64 * 1024 + 1));
  rlimit old_limit{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 300 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  REQUIRE(client.get(*replica, 10, [&](Result<Bytes> got) { far = std::move(got); }).ok());
  const bool ended = loop.run_until([&] { return far.has_value(); });
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  std::signal(SIGXFSZ, old_handler);
  CHECK(ended);
  REQUIRE(far);
  REQUIRE_FALSE(far->ok());
  CHECK(far->error().code() == Errc::Io);
  CHECK(replica->has(1));
  CHECK_FALSE(replica->has(10));
  CHECK(client.stats().blocks_downloaded == 1);
}

TEST_CASE("replicator: destroyed while received blocks are being hashed") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 64, 256 * 1024);
  auto replica = make_replica(dir / "r", writer->key());
  {
    wire::Replicator server(&loop.loop);
    REQUIRE(server.add_core(*writer, {}).ok());
    auto client = std::make_unique<wire::Replicator>(&loop.loop);
    REQUIRE(client->add_core(*replica, {}).ok());
    REQUIRE(client->download(*replica, 0, std::nullopt).ok());
    Link link = connect(&loop.loop, *client, server);
    CHECK(loop.run_until([&] { return client->stats().blocks_downloaded > 0; }));
    client.reset();  // blocks in the pool now belong to their after-work callbacks
    CHECK(loop.run_until([&] { return server.peer_count() == 0; }));
  }
  // What was stored verifies; the rest is simply absent.
  auto verified = replica->verify_all();
  REQUIRE(verified.ok());
  CHECK(*verified == replica->blocks_present());
  CHECK(replica->blocks_present() < 64);
}

namespace {

// A writer of `blocks` blocks (of about `size` bytes) served on loopback, and a replica of it
// whose client is connected to the server.
struct Served {
  Served(uint64_t blocks, size_t size)
      : writer(make_writer(dir / "w", blocks, size)), replica(make_replica(dir / "r", writer->key())) {
    REQUIRE(crypto_ready);
    REQUIRE(server.add_core(*writer, {}).ok());
    REQUIRE(client.add_core(*replica, {}).ok());
    link = connect(&loop.loop, client, server);
  }

  const bool crypto_ready = crypto::init();  // first: the members below make keys
  TempDir dir;
  Loop loop;
  std::unique_ptr<core::Core> writer;
  std::unique_ptr<core::Core> replica;
  wire::Replicator server{&loop.loop};
  wire::Replicator client{&loop.loop};
  Link link;
};

}  // namespace

TEST_CASE("replicator: a group of gets reports each block once, and nothing after it is cancelled") {
  Served served(100, 300);
  Loop& loop = served.loop;
  wire::Replicator& client = served.client;
  core::Core* replica = served.replica.get();
  std::map<uint64_t, int> reported;
  auto note = [&reported](uint64_t block, const Status& s) {
    CHECK(s.ok());
    ++reported[block];
  };
  auto group = client.get_group(*replica, {2, 40, 41, 98}, note);
  REQUIRE(group.ok());
  CHECK(group->waiting == 4);
  CHECK(client.pending_gets() == 4);
  // A second group for a block of the first, and one the client will cancel at once.
  auto second = client.get_group(*replica, {41, 60}, note);
  REQUIRE(second.ok());
  auto doomed = client.get_group(*replica, {70, 71}, [&](uint64_t block, const Status&) { ++reported[1000 + block]; });
  REQUIRE(doomed.ok());
  client.cancel_get(doomed->id);
  CHECK(client.pending_gets() == 6);
  CHECK(loop.run_until([&] { return client.pending_gets() == 0 && reported.size() == 5; }));
  CHECK(reported == std::map<uint64_t, int>{{2, 1}, {40, 1}, {41, 2}, {60, 1}, {98, 1}});
  CHECK_FALSE(replica->has(70));
  CHECK_FALSE(replica->has(71));
  // Blocks already here are left out of a group: nothing to wait for, nothing reported.
  auto here = client.get_group(*replica, {2, 40}, note);
  REQUIRE(here.ok());
  CHECK(here->waiting == 0);
  CHECK(client.pending_gets() == 0);
}

TEST_CASE("replicator: sparse gets and a range download fetch nothing else") {
  Served served(100, 300);
  Loop& loop = served.loop;
  wire::Replicator& server = served.server;
  wire::Replicator& client = served.client;
  core::Core* replica = served.replica.get();
  std::map<uint64_t, Bytes> got;
  for (uint64_t block : {3u, 57u, 99u}) {
    auto id = client.get(*replica, block, [&got, block](Result<Bytes> r) {
      REQUIRE(r.ok());
      got[block] = *r;
    });
    REQUIRE(id.ok());
  }
  // A get that is cancelled before it can be answered reports Cancelled.
  bool cancelled = false;
  auto doomed = client.get(*replica, 70, [&](Result<Bytes> r) {
    CHECK(!r.ok());
    if (!r.ok()) cancelled = r.error().code() == Errc::Cancelled;
  });
  REQUIRE(doomed.ok());
  client.cancel_get(*doomed);
  REQUIRE(client.download(*replica, 20, 23).ok());
  CHECK(loop.run_until([&] { return got.size() == 3 && client.done(*replica) && cancelled; }));
  for (auto& [block, bytes] : got) CHECK(bytes == block_bytes(block, 300 + block % 5));
  check_blocks(*replica, 20, 23);
  CHECK(replica->blocks_present() == 6);
  CHECK(client.stats().blocks_downloaded == 6);
  CHECK(server.stats().blocks_uploaded == 6);
  CHECK_FALSE(replica->has(70));
  CHECK_FALSE(replica->has(0));
  CHECK(replica->length() == 100);
  // A get for a block already here answers through the loop, not inline.
  bool answered = false;
  REQUIRE(client.get(*replica, 57, [&](Result<Bytes> r) { answered = r.ok(); }).ok());
  CHECK_FALSE(answered);
  CHECK(loop.run_until([&] { return answered; }));
}

TEST_CASE("replicator: the replies to the requests of one read leave in one write") {
  constexpr uint64_t kBlocks = 2000;
  Served served(kBlocks, 100);
  Loop& loop = served.loop;
  wire::Replicator& server = served.server;
  wire::Replicator& client = served.client;
  core::Core* replica = served.replica.get();
  size_t answered = 0;
  for (uint64_t block = 0; block < kBlocks; ++block) {
    REQUIRE(client.get(*replica, block, [&answered](Result<Bytes> r) { answered += r.ok(); }).ok());
  }
  CHECK(loop.run_until([&] { return answered == kBlocks; }));
  CHECK(server.stats().blocks_uploaded == kBlocks);
  auto figures = server.peer_figures();
  REQUIRE(figures.size() == 1);
  CAPTURE(figures[0].writes);
  // One write per Data would be 2,000 and more; a write per read of requests is a few dozen.
  CHECK(figures[0].writes < kBlocks / 10);
}

TEST_CASE("replicator: live appends reach a live replica, both versions") {
  REQUIRE(crypto::init());
  for (auto version : {wire::ProtocolVersion::V7, wire::ProtocolVersion::V8}) {
    CAPTURE(wire::protocol_version_name(version));
    TempDir dir;
    Loop loop;
    auto writer = make_writer(dir / "w", 5, 100);
    auto replica = make_replica(dir / "r", writer->key());
    wire::Replicator server(&loop.loop);
    wire::Replicator client(&loop.loop);
    REQUIRE(server.add_core(*writer, {.upload = true, .live = true}).ok());
    REQUIRE(client.add_core(*replica, {.upload = true, .live = true}).ok());
    REQUIRE(client.download(*replica, 0, std::nullopt).ok());
    Link link = connect(&loop.loop, client, server, version);
    CHECK(loop.run_until([&] { return replica->blocks_present() == 5; }));
    Bytes one = block_bytes(5, 100);
    REQUIRE(writer->append({ByteView(one)}).ok());
    server.announce_appended(*writer, 5);
    CHECK(loop.run_until([&] { return replica->blocks_present() == 6; }));
    Bytes a = block_bytes(6, 10), b = block_bytes(7, 20), c = block_bytes(8, 30);
    REQUIRE(writer->append({ByteView(a), ByteView(b), ByteView(c)}).ok());
    server.announce_appended(*writer, 6);
    CHECK(loop.run_until([&] { return replica->blocks_present() == 9; }));
    CHECK(replica->length() == 9);
    CHECK(client.peer_count() == 1);  // live: still connected
    auto last = replica->get(8);
    REQUIRE(last.ok());
    CHECK(*last == c);
  }
}

TEST_CASE("replicator: two cores over one connection, a third refused") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto x = make_writer(dir / "x", 10, 200);
  auto y = make_writer(dir / "y", 7, 500);
  auto z = make_writer(dir / "z", 3, 50);  // only the client knows z's key
  auto rx = make_replica(dir / "rx", x->key());
  auto ry = make_replica(dir / "ry", y->key());
  auto rz = make_replica(dir / "rz", z->key());
  wire::Replicator server(&loop.loop);
  wire::Replicator client(&loop.loop);
  REQUIRE(server.add_core(*x, {}).ok());
  REQUIRE(server.add_core(*y, {}).ok());
  REQUIRE(client.add_core(*rx, {}).ok());
  REQUIRE(client.add_core(*ry, {}).ok());
  REQUIRE(client.add_core(*rz, {}).ok());
  REQUIRE(client.download(*rx, 0, std::nullopt).ok());
  REQUIRE(client.download(*ry, 0, std::nullopt).ok());
  Link link = connect(&loop.loop, client, server);
  CHECK(loop.run_until([&] { return client.done(*rx) && client.done(*ry); }));
  CHECK(rx->blocks_present() == 10);
  CHECK(ry->blocks_present() == 7);
  CHECK(rz->blocks_present() == 0);
  CHECK(client.stats().peers_dropped == 0);
  // All channels closed (the unknown one refused), so the non-live stream ends.
  CHECK(loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; }));
}

TEST_CASE("replicator: three peers, one goes away mid-download") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 300, 8000);
  REQUIRE(writer->sync().ok());
  std::filesystem::copy(dir / "w", dir / "c1", std::filesystem::copy_options::recursive);
  std::filesystem::copy(dir / "w", dir / "c2", std::filesystem::copy_options::recursive);
  auto c1 = core::Core::open(dir / "c1", store::OpenMode::ReadWrite);
  auto c2 = core::Core::open(dir / "c2", store::OpenMode::ReadWrite);
  REQUIRE(c1.ok());
  REQUIRE(c2.ok());
  auto replica = make_replica(dir / "r", writer->key());
  auto s0 = std::make_unique<wire::Replicator>(&loop.loop);
  auto s1 = std::make_unique<wire::Replicator>(&loop.loop);
  auto s2 = std::make_unique<wire::Replicator>(&loop.loop);
  REQUIRE(s0->add_core(*writer, {}).ok());
  REQUIRE(s1->add_core(**c1, {}).ok());
  REQUIRE(s2->add_core(**c2, {}).ok());
  wire::Replicator client(&loop.loop);
  REQUIRE(client.add_core(*replica, {}).ok());
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  Link l0 = connect(&loop.loop, client, *s0);
  Link l1 = connect(&loop.loop, client, *s1);
  Link l2 = connect(&loop.loop, client, *s2);
  // Peer 1 goes away (its replicator destroyed, connections closed) as soon as 30 blocks are
  // here, with requests still in flight to it. The callback runs on the client's stack only.
  uint64_t s1_uploaded = 0;
  uint64_t downloaded_at_kill = 0;
  client.set_on_change([&] {
    if (s1 && client.stats().blocks_downloaded >= 30) {
      s1_uploaded = s1->stats().blocks_uploaded;
      downloaded_at_kill = client.stats().blocks_downloaded;
      s1.reset();
      l1.listener.reset();
    }
  });
  CHECK(loop.run_until([&] { return !s1; }));
  CHECK(s1_uploaded > 0);
  CHECK(downloaded_at_kill < 300);
  CHECK(loop.run_until([&] { return client.done(*replica); }, 20000));
  CHECK(replica->blocks_present() == 300);
  auto verified = replica->verify_all();
  REQUIRE(verified.ok());
  CHECK(*verified == 300);
  CHECK(s0->stats().blocks_uploaded + s2->stats().blocks_uploaded + s1_uploaded >= 300);
  CHECK(loop.run_until([&] { return client.peer_count() == 0; }));
}

TEST_CASE("replicator: a peer sending bad data is dropped and nothing is stored") {
  REQUIRE(crypto::init());
  // 100-byte blocks are hashed on the loop, 64 KiB ones on the thread pool.
  for (auto evil : {std::pair{EvilMode::BadHash, size_t{100}}, std::pair{EvilMode::BadSignature, size_t{100}},
                    std::pair{EvilMode::BadHash, size_t{64} * 1024},
                    std::pair{EvilMode::BadSignature, size_t{64} * 1024}}) {
    const EvilMode mode = evil.first;
    const size_t size = evil.second;
    CAPTURE(static_cast<int>(mode));
    CAPTURE(size);
    TempDir dir;
    Loop loop;
    auto writer = make_writer(dir / "w", 8, size);
    auto replica = make_replica(dir / "r", writer->key());
    {
      EvilServer evil(&loop.loop, *writer, mode);
      wire::Replicator client(&loop.loop);
      REQUIRE(client.add_core(*replica, {}).ok());
      REQUIRE(client.download(*replica, 0, std::nullopt).ok());
      dial(&loop.loop, client, evil.port());
      CHECK(loop.run_until([&] { return evil.closed() && client.peer_count() == 0; }));
      CHECK(evil.requests() > 0);
      CHECK(client.stats().data_rejected == 1);
      CHECK(client.stats().peers_dropped == 1);
      CHECK(client.stats().blocks_downloaded == 0);
    }
    CHECK(replica->blocks_present() == 0);
    CHECK(replica->length() == 0);
    // Reopened from disk, the replica still holds nothing.
    replica.reset();
    auto reopened = core::Core::open(dir / "r", store::OpenMode::ReadOnly);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->blocks_present() == 0);
    CHECK((*reopened)->length() == 0);
  }
}

TEST_CASE("replicator: a silent peer times out and its requests go to another peer") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 64, 100);
  auto replica = make_replica(dir / "r", writer->key());
  EvilServer silent(&loop.loop, *writer, EvilMode::Silent);
  wire::Replicator server(&loop.loop);
  REQUIRE(server.add_core(*writer, {}).ok());
  wire::ReplicatorOptions options;
  options.request_timeout_ms = 1000;
  wire::Replicator client(&loop.loop, options);
  REQUIRE(client.add_core(*replica, {}).ok());
  dial(&loop.loop, client, silent.port());
  CHECK(loop.run_until([&] { return client.peer_count() == 1; }));
  Link link = connect(&loop.loop, client, server);
  CHECK(loop.run_until([&] { return client.peer_count() == 2; }));
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  CHECK(loop.run_until([&] { return client.done(*replica); }));
  CHECK(silent.requests() > 0);
  CHECK(silent.closed());
  CHECK(client.stats().peers_dropped == 1);
  CHECK(replica->blocks_present() == 64);
}

TEST_CASE("replicator: a peer that keeps answering is not timed out, however long a request waits") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 20, 100);
  auto replica = make_replica(dir / "r", writer->key());
  // Honest answers, one every 100 ms: requests queued behind 10 or more others wait longer than
  // the 1 s request timeout, while Data never stops for more than 100 ms.
  EvilServer slow(&loop.loop, *writer, EvilMode::Silent);
  slow.hold();
  wire::ReplicatorOptions options;
  options.request_timeout_ms = 1000;
  wire::Replicator client(&loop.loop, options);
  REQUIRE(client.add_core(*replica, {}).ok());
  dial(&loop.loop, client, slow.port());
  REQUIRE(loop.run_until([&] { return client.peer_count() == 1; }));
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  REQUIRE(loop.run_until([&] { return slow.requests() >= 16; }));
  uint64_t next = uv_now(&loop.loop);
  CHECK(loop.run_until([&] {
    if (uv_now(&loop.loop) >= next) {
      slow.release_one();
      next = uv_now(&loop.loop) + 100;
    }
    return client.done(*replica) || client.peer_count() == 0;
  }, 20000));
  CHECK(replica->blocks_present() == 20);
  CHECK(client.stats().peers_dropped == 0);
  CHECK_FALSE(slow.closed());
}

namespace {

// A replica of a 3,000-block core (100-byte blocks) whose client is dialled to an EvilServer
// that answers only what release() lets go: a path whose round trips the test decides.
struct HeldPath {
  HeldPath() {
    REQUIRE(crypto_ready);
    REQUIRE(client.add_core(*replica, {}).ok());
    dial(&loop.loop, client, far.port());
  }

  const bool crypto_ready = crypto::init();  // first: the members below make keys
  TempDir dir;
  Loop loop;
  std::unique_ptr<core::Core> writer = make_writer(dir / "w", 3000, 100);
  std::unique_ptr<core::Core> replica = make_replica(dir / "r", writer->key());
  EvilServer far{&loop.loop, *writer, EvilMode::Silent};
  wire::Replicator client{&loop.loop};
};

}  // namespace

TEST_CASE("replicator: on a long path a batch of small gets goes out whole") {
  HeldPath path;
  Loop& loop = path.loop;
  EvilServer& far = path.far;
  wire::Replicator& client = path.client;
  core::Core* replica = path.replica.get();
  REQUIRE(loop.run_until([&] { return client.peer_count() == 1; }));
  // The first get waits 60 ms for its answer: the path's round trip is at least that.
  far.hold();
  bool got = false;
  REQUIRE(client.get(*replica, 2999, [&](Result<Bytes> r) { got = r.ok(); }).ok());
  loop.run_for(60);
  far.release();
  REQUIRE(loop.run_until([&] { return got; }));
  // 2,999 gets of 100-byte blocks: 512 per 10 ms of round trip allows 3,072, all of them go at
  // once (on loopback 512 would: fetcher_test).
  far.hold();
  for (uint64_t b = 0; b < 2999; ++b) REQUIRE(client.get(*replica, b, [](Result<Bytes>) {}).ok());
  uv_run(&loop.loop, UV_RUN_NOWAIT);
  CHECK(client.requests_in_flight() == 2999);
  far.release();
  CHECK(loop.run_until([&] { return replica->blocks_present() == 3000; }, 20000));
}

TEST_CASE("replicator: a download's window doubles each round trip when a round's replies come in one read") {
  HeldPath path;
  Loop& loop = path.loop;
  EvilServer& far = path.far;
  wire::Replicator& client = path.client;
  core::Core* replica = path.replica.get();
  far.hold();
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  REQUIRE(loop.run_until([&] { return client.requests_in_flight() > 0; }));
  // Each round: the window goes out, is held 20 ms (the path's round trip), then all of it is
  // answered in one write. The window was judged full once per read, so it grew by one a round.
  std::vector<size_t> in_flight;
  for (int round = 0; round < 4; ++round) {
    loop.run_for(20);
    in_flight.push_back(client.requests_in_flight());
    far.release();
    far.hold();
  }
  for (int round = 1; round < 4; ++round) {
    CAPTURE(round);
    CAPTURE(in_flight[round - 1]);
    CAPTURE(in_flight[round]);
    CHECK(in_flight[round] >= 2 * in_flight[round - 1] - 1);
  }
  CHECK(loop.run_until([&] {
    far.release();
    far.hold();
    return replica->blocks_present() == 3000;
  }, 20000));
}

TEST_CASE("replicator: keep-alives hold an idle live connection; a silent socket times out") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 3, 10);
  auto replica = make_replica(dir / "r", writer->key());
  wire::ReplicatorOptions options;
  options.connection.keep_alive_ms = 50;
  options.connection.idle_timeout_ms = 500;
  wire::Replicator server(&loop.loop, options);
  wire::Replicator client(&loop.loop, options);
  REQUIRE(server.add_core(*writer, {.upload = true, .live = true}).ok());
  REQUIRE(client.add_core(*replica, {.upload = true, .live = true}).ok());
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  Link link = connect(&loop.loop, client, server);
  CHECK(loop.run_until([&] { return replica->blocks_present() == 3; }));
  // Nothing to say for 4 idle timeouts: keep-alives keep both ends from dropping.
  CHECK_FALSE(loop.run_until([&] { return client.peer_count() == 0 || server.peer_count() == 0; },
                             2000));
  CHECK(client.peer_count() == 1);
  CHECK(server.peer_count() == 1);
  CHECK(client.stats().peers_dropped == 0);

  // A TCP peer that never even starts the handshake is dropped after the idle timeout.
  std::optional<wire::StreamHandle> mute;
  auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", link.listener->port()));
  REQUIRE(target.ok());
  REQUIRE(wire::dial_tcp(&loop.loop, *target, [&](Result<wire::StreamHandle> s) {
            REQUIRE(s.ok());
            mute = std::move(*s);
          }).ok());
  CHECK(loop.run_until([&] { return server.peer_count() == 2; }));
  CHECK(loop.run_until([&] { return server.peer_count() == 1; }, 5000));
  CHECK(client.peer_count() == 1);
  mute.reset();
}

TEST_CASE("replicator: a tiny write queue (backpressure) still completes a clone") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 60, 20000);
  auto replica = make_replica(dir / "r", writer->key());
  wire::ReplicatorOptions small;
  small.connection.max_queued_bytes = 1024;  // every Data fills it: serve, wait, resume
  wire::Replicator server(&loop.loop, small);
  wire::Replicator client(&loop.loop, small);
  REQUIRE(server.add_core(*writer, {}).ok());
  REQUIRE(client.add_core(*replica, {}).ok());
  REQUIRE(client.download(*replica, 0, std::nullopt).ok());
  Link link = connect(&loop.loop, client, server);
  CHECK(loop.run_until([&] { return client.done(*replica) && replica->length() == 60; }));
  CHECK(replica->blocks_present() == 60);
  CHECK(server.stats().blocks_uploaded == 60);
}

namespace {

// Joins `client` (initiator) and `server` (responder) by two one-way pipes, the way standard
// input/output join two processes: client -> server on one, server -> client on the other.
void connect_by_pipes(uv_loop_t* loop, wire::Replicator& client, wire::Replicator& server) {
  uv_file up[2];    // client writes up[1], server reads up[0]
  uv_file down[2];  // server writes down[1], client reads down[0]
  REQUIRE(uv_pipe(up, 0, 0) == 0);
  REQUIRE(uv_pipe(down, 0, 0) == 0);
  auto open = [loop](uv_file fd) {
    auto handle = wire::StreamHandle::pipe_from_fd(loop, fd);
    REQUIRE(handle.ok());
    return std::move(*handle);
  };
  CHECK(server.add_stream(open(up[0]), open(down[1]), crypto::NoiseRole::Responder,
                          wire::ProtocolVersion::V8)
            .ok());
  CHECK(client.add_stream(open(down[0]), open(up[1]), crypto::NoiseRole::Initiator,
                          wire::ProtocolVersion::Auto)
            .ok());
}

}  // namespace

TEST_CASE("replicator: a full clone over two one-way pipes (standard input/output style)") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 40, 3000);
  auto replica = make_replica(dir / "r", writer->key());
  for (size_t max_queued : {size_t{8} << 20, size_t{1024}}) {  // default and tight backpressure
    CAPTURE(max_queued);
    std::filesystem::remove_all(dir / "r");
    replica = make_replica(dir / "r", writer->key());
    wire::ReplicatorOptions options;
    options.connection.max_queued_bytes = max_queued;
    {
      wire::Replicator server(&loop.loop, options);
      wire::Replicator client(&loop.loop, options);
      REQUIRE(server.add_core(*writer, {}).ok());
      REQUIRE(client.add_core(*replica, {}).ok());
      REQUIRE(client.download(*replica, 0, std::nullopt).ok());
      connect_by_pipes(&loop.loop, client, server);
      CHECK(loop.run_until([&] { return client.done(*replica) && replica->length() == 40; }));
      // Each side's end closes its write pipe; the other reads end of stream and closes.
      CHECK(loop.run_until([&] { return client.peer_count() == 0 && server.peer_count() == 0; }));
      CHECK(client.stats().blocks_downloaded == 40);
      CHECK(server.stats().blocks_uploaded == 40);
      CHECK(client.stats().peers_dropped == 0);
      CHECK(server.stats().peers_dropped == 0);
    }
    auto verified = replica->verify_all();
    REQUIRE(verified.ok());
    CHECK(*verified == 40);
    for (uint64_t i = 0; i < 40; ++i) {
      auto got = replica->get(i);
      REQUIRE(got.ok());
      CHECK(*got == block_bytes(i, 3000 + i % 5));
    }
  }
}

TEST_CASE("replicator: end of the read pipe closes a split connection") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto writer = make_writer(dir / "w", 3, 100);
  wire::Replicator server(&loop.loop);
  REQUIRE(server.add_core(*writer, {.upload = true, .live = true}).ok());
  uv_file up[2];
  uv_file down[2];
  REQUIRE(uv_pipe(up, 0, 0) == 0);
  REQUIRE(uv_pipe(down, 0, 0) == 0);
  auto in = wire::StreamHandle::pipe_from_fd(&loop.loop, up[0]);
  auto out = wire::StreamHandle::pipe_from_fd(&loop.loop, down[1]);
  REQUIRE(in.ok());
  REQUIRE(out.ok());
  REQUIRE(server.add_stream(std::move(*in), std::move(*out), crypto::NoiseRole::Responder,
                            wire::ProtocolVersion::V8)
              .ok());
  CHECK(server.peer_count() == 1);
  uv_fs_t req;
  CHECK(uv_fs_close(nullptr, &req, up[1], nullptr) == 0);  // the "peer" goes away
  uv_fs_req_cleanup(&req);
  CHECK(loop.run_until([&] { return server.peer_count() == 0; }, 5000));
  CHECK(uv_fs_close(nullptr, &req, down[0], nullptr) == 0);
  uv_fs_req_cleanup(&req);
}

namespace {

// A hyperdrive 10.21 reader (hypercore-protocol 8.0.7 under corestore 5) on a bare Connection,
// for a drive's two cores. It opens `first` (metadata) at once. It refuses the server's Open
// for `late` (content: its key is not known yet) with Close{discoveryKey}, but like the
// reference channelizer it keeps that Open on record until the server's Close{} for the channel
// arrives. open_late() opens `late`; a feed whose Open is on record counts as open both ways
// at once, so its Want{0, 1 MiB} goes out right away (without waiting for a new Open).
class LateOpener : public wire::ConnectionHandler {
 public:
  struct Feed {
    crypto::PublicKey key{};
    crypto::DiscoveryKey discovery_key{};
    std::optional<uint32_t> local_id;
    bool remote_on_record = false;  // the server's Open, not yet closed by its Close
    bool want_sent = false;
    int haves = 0;
  };

  LateOpener(uv_loop_t* loop, uint16_t port, const core::Core& first, const core::Core& late) {
    for (const core::Core* c : {&first, &late}) {
      Feed f;
      f.key = c->key();
      f.discovery_key = c->discovery_key();
      feeds_.push_back(f);
    }
    auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", port));
    REQUIRE(target.ok());
    REQUIRE(wire::dial_tcp(loop, *target, [this, loop](Result<wire::StreamHandle> s) {
              REQUIRE(s.ok());
              connection_ = std::make_unique<wire::Connection>(
                  loop, std::move(*s), v8_options(crypto::NoiseRole::Initiator), *this);
              open(feeds_[0]);
              REQUIRE(connection_->start().ok());
            }).ok());
  }

  const Feed& feed(size_t i) const { return feeds_[i]; }
  int refusals() const { return refusals_; }
  bool closed() const { return closed_; }

  void open_late() {
    open(feeds_[1]);
    want_where_open();
    (void)connection_->flush();
  }

  void on_session_events(wire::Connection& c) override {
    for (auto& event : c.session().take_events()) {
      if (auto* opened = std::get_if<wire::RemoteOpened>(&event)) {
        Feed* f = find(opened->discovery_key);
        REQUIRE(f != nullptr);
        f->remote_on_record = true;
        if (!opened->local_id) {
          REQUIRE(c.session().close_discovery_key(opened->discovery_key).ok());
          ++refusals_;
        }
      } else if (auto* closed = std::get_if<wire::ChannelClosed>(&event)) {
        if (Feed* f = find(closed->discovery_key)) f->remote_on_record = false;
      } else if (auto* m = std::get_if<wire::ChannelMessage>(&event)) {
        if (!m->discovery_key) continue;
        if (Feed* f = find(*m->discovery_key); f && std::holds_alternative<wire::Have>(m->message)) {
          ++f->haves;
        }
      }
    }
    want_where_open();
    (void)c.flush();
  }
  void on_drained(wire::Connection&) override {}
  void on_closed(wire::Connection&, const Error&) override { closed_ = true; }

 private:
  Feed* find(const crypto::DiscoveryKey& dk) {
    for (Feed& f : feeds_) {
      if (f.discovery_key == dk) return &f;
    }
    return nullptr;
  }
  void open(Feed& f) {
    auto id = connection_->session().open(f.key);
    REQUIRE(id.ok());
    f.local_id = *id;
  }
  void want_where_open() {
    for (Feed& f : feeds_) {
      if (!f.local_id || !f.remote_on_record || f.want_sent) continue;
      REQUIRE(connection_->session().send(*f.local_id, wire::Want{0, 1048576}).ok());
      f.want_sent = true;
    }
  }

  std::vector<Feed> feeds_;
  std::unique_ptr<wire::Connection> connection_;
  int refusals_ = 0;
  bool closed_ = false;
};

}  // namespace

// A drive served to hyperdrive 10.21: the reader refuses the content core at first and opens it
// only after reading metadata. The server must answer the refusal with Close{} (wire.md §5.4,
// v8), or the reader keeps the server's first Open on record and sends its Want for the content
// core before the server's new Open, which drops it (§5.2): no Have ever comes.
TEST_CASE("replicator: a core the remote refused, then opens later, replicates (v8)") {
  REQUIRE(crypto::init());
  TempDir dir;
  Loop loop;
  auto metadata = make_writer(dir / "m", 5, 100);
  auto content = make_writer(dir / "c", 9, 300);
  wire::Replicator server(&loop.loop);
  REQUIRE(server.add_core(*metadata, {.upload = true, .live = true}).ok());
  REQUIRE(server.add_core(*content, {.upload = true, .live = true}).ok());
  auto address = wire::parse_host_port("127.0.0.1:0");
  REQUIRE(address.ok());
  auto listener = wire::TcpListener::listen(&loop.loop, *address, [&server](wire::StreamHandle s) {
    CHECK(server.add_stream(std::move(s), crypto::NoiseRole::Responder,
                            wire::ProtocolVersion::V8).ok());
  });
  REQUIRE(listener.ok());
  auto reader = std::make_unique<LateOpener>(&loop.loop, (*listener)->port(), *metadata, *content);
  // The refusal goes out before the metadata Want, so the server's answer to it comes before
  // the metadata Haves.
  CHECK(loop.run_until([&] { return reader->refusals() == 1 && reader->feed(0).haves > 0; }));
  CHECK_FALSE(reader->feed(1).remote_on_record);  // the server closed its side on the refusal
  reader->open_late();
  CHECK(loop.run_until([&] { return reader->feed(1).haves > 0; }, 3000));
  CHECK(reader->refusals() == 1);
  CHECK_FALSE(reader->closed());
  CHECK(server.stats().peers_dropped == 0);
  CHECK(server.peer_count() == 1);
  reader.reset();
  CHECK(loop.run_until([&] { return server.peer_count() == 0; }));
}

TEST_CASE("block ranges: add, merge, remove") {
  wire::BlockRanges r;
  r.add(5, 10);
  r.add(10, 12);
  r.add(0, 2);
  CHECK(r.range_count() == 2);
  CHECK(r.contains(11));
  CHECK_FALSE(r.contains(12));
  CHECK_FALSE(r.contains(3));
  r.remove(6, 8);
  CHECK(r.contains(5));
  CHECK_FALSE(r.contains(6));
  CHECK(r.contains(8));
  CHECK(r.end() == 12);
  r.add(1, 9);
  CHECK(r.range_count() == 1);
}
