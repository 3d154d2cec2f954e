// Fetcher and run_fetching: our replicator to our replicator over real loopback TCP (a batch
// brings every block in one go, a timed-out batch leaves nothing queued, no round limit).
#include "node/fetcher.hpp"

#include "crypto/keys.hpp"
#include "node/fetch_loop.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <vector>

using namespace hypermount;
using namespace hypermount::test;

namespace {

// A writer with `blocks` blocks served by one replicator, a replica fetched by another.
struct Pair {
  TempDir dir;
  Loop loop;
  std::unique_ptr<core::Core> writer;
  std::shared_ptr<core::Core> replica;
  std::unique_ptr<wire::Replicator> server;
  std::unique_ptr<wire::Replicator> client;
  Link link;

  explicit Pair(uint64_t blocks, size_t block_bytes = 100) {
    REQUIRE(crypto::init());
    writer = make_writer(dir / "w", blocks, block_bytes);
    replica = make_replica(dir / "r", writer->key());
    server = std::make_unique<wire::Replicator>(&loop.loop);
    client = std::make_unique<wire::Replicator>(&loop.loop);
    REQUIRE(server->add_core(*writer, {.upload = true, .live = true}).ok());
    REQUIRE(client->add_core(*replica, {.upload = true, .live = true}).ok());
    link = connect(&loop.loop, *client, *server);
    REQUIRE(loop.run_until([&] { return client->peer_count() == 1; }));
  }
  ~Pair() {
    client->close_all();
    server->close_all();
    link.listener.reset();
    loop.run_until([&] { return client->peer_count() == 0 && server->peer_count() == 0; });
    client.reset();
    server.reset();
  }
};

// Runs one batch to its end.
Result<uint64_t> fetch_all(Pair& p, node::Fetcher& fetcher, const drive::MissingBlocks& missing) {
  std::optional<Result<uint64_t>> outcome;
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
  return std::move(*outcome);
}

// Fetches the last block: the replica learns the length from its signature (as a drive does
// from its header and the writer's head).
void fetch_last(Pair& p, node::Fetcher& fetcher, bool metadata) {
  drive::MissingBlocks head;
  head.add(p.replica, p.writer->length() - 1, metadata);
  REQUIRE(fetch_all(p, fetcher, head).ok());
  REQUIRE(p.replica->length() == p.writer->length());
}

}  // namespace

TEST_CASE("fetcher: one batch brings every block it names, all requested at once") {
  Pair p(600);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  drive::MissingBlocks missing;
  for (uint64_t b = 0; b < 600; b += 2) missing.add(p.replica, b);
  std::optional<Result<uint64_t>> outcome;
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  CHECK(!outcome);  // never called back before fetch() returns
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
  REQUIRE(outcome->ok());
  CHECK(**outcome == 300);
  CHECK(fetcher.stats().batches == 1);
  CHECK(fetcher.stats().blocks == 300);
  CHECK(p.replica->blocks_present() == 300);
  CHECK(fetcher.pending_batches() == 0);
  CHECK(p.client->pending_gets() == 0);

  // Everything named is here already: done at once with 0, and no batch is counted.
  outcome.reset();
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
  REQUIRE(outcome->ok());
  CHECK(**outcome == 0);
  CHECK(fetcher.stats().batches == 1);
}

TEST_CASE("fetcher: a batch of large blocks goes out 512 requests at a time") {
  // 32 KiB blocks: 1 MiB is only 32 of them, so the floor of 512 holds whatever the round trip
  // (replicator_test has a long path, where a batch of small blocks goes out whole).
  Pair p(1000, 32768);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/false);
  drive::MissingBlocks missing;
  for (uint64_t b = 0; b + 1 < p.writer->length(); ++b) missing.add(p.replica, b);
  std::optional<Result<uint64_t>> outcome;
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  // One turn of the loop: the gets are sent, and no reply can have been read yet.
  uv_run(&p.loop.loop, UV_RUN_NOWAIT);
  CHECK(p.client->requests_in_flight() == 512);
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }, 30000));
  REQUIRE(outcome->ok());
  CHECK(**outcome == 999);
  CHECK(p.client->requests_in_flight() == 0);
}

TEST_CASE("fetcher: a metadata batch of a large part of the core takes all of it (bulk rule)") {
  Pair p(2000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  drive::MissingBlocks missing;
  for (uint64_t b = 0; b < 300; ++b) missing.add(p.replica, b, /*metadata=*/true);
  auto outcome = fetch_all(p, fetcher, missing);
  REQUIRE(outcome.ok());
  CHECK(*outcome == 1999);  // 300 wanted, 1,999 absent: at most 8 times as many
  CHECK(p.replica->blocks_present() == 2000);
}

// Listings of `each` metadata blocks, one after the other, down from `below_last` blocks below
// the last block; `resumed` says which are later rounds of the listing before. Returns what
// each took.
std::vector<uint64_t> list_down(Pair& p, node::Fetcher& fetcher, uint64_t each, const std::vector<bool>& resumed,
                                uint64_t below_last = 0) {
  std::vector<uint64_t> took;
  const uint64_t top = p.writer->length() - 1 - below_last;
  for (uint64_t listing = 0; listing < resumed.size(); ++listing) {
    drive::MissingBlocks missing;
    for (uint64_t b = top - each * (listing + 1); b < top - each * listing; ++b) missing.add(p.replica, b, true);
    missing.listing = true;
    std::optional<Result<uint64_t>> outcome;
    fetcher.fetch(missing, resumed[listing], [&](Result<uint64_t> r) { outcome = std::move(r); });
    REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
    REQUIRE(outcome->ok());
    took.push_back(**outcome);
  }
  return took;
}

// Runs the loop for longer than a walk's gap.
void pause_walk(Pair& p) { p.loop.run_for(node::Fetcher::kWalkGapMs + 100); }

TEST_CASE("fetcher: a walk takes growing runs of the metadata along, then the rest in bulk") {
  Pair p(10000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  // Listings of 20 blocks back to back, as find lists folder after folder. The second takes 1,024
  // blocks along (from block 0 on: those after its own are here), the third 4,096: then listings
  // have asked for 5,180, more than an eighth of the 8,935 absent, and it takes them.
  CHECK(list_down(p, fetcher, 20, std::vector<bool>(3, false)) == std::vector<uint64_t>{20, 1044, 8935});
  CHECK(p.replica->blocks_present() == 10000);
  CHECK(p.client->pending_gets() == 0);
}

TEST_CASE("fetcher: what a walk takes along is at most 128 times what its listings lacked") {
  Pair p(10000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  // Listings of 1 block: the second takes 256 along (room: 128 x 2), then each 128 (128 x 1 more
  // own block), not 512, 1,024...; the ninth has asked for 1,170 in all, an eighth of the 8,967
  // absent: the rest.
  CHECK(list_down(p, fetcher, 1, std::vector<bool>(9, false)) ==
        std::vector<uint64_t>{1, 257, 129, 129, 129, 129, 129, 129, 8967});
}

TEST_CASE("fetcher: in a walk, a listing's later rounds take four times as many along each") {
  Pair p(60000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  // The second listing of the walk needs two rounds: 1,024 along, then 4,096 (each round is a
  // round trip, as a listing is); the listings have then asked for 5,180, less than an eighth of
  // the 54,800 absent. When only listings grew it, each round took 1,024.
  CHECK(list_down(p, fetcher, 20, {false, false, true}) == std::vector<uint64_t>{20, 1044, 4116});
}

TEST_CASE("fetcher: a listing's later rounds and listings after a pause do not grow a walk") {
  Pair p(30000);  // far from the bulk rule: the listings' 1,126 blocks stay below an eighth
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  // One listing in five rounds: nothing along (were rounds listings, the second would take 1,024).
  CHECK(list_down(p, fetcher, 20, {false, true, true, true, true}) == std::vector<uint64_t>(5, 20));
  // The next listing is the walk's second: it takes 1,024 along (blocks 0-1,023, those after
  // its own being here).
  CHECK(list_down(p, fetcher, 1, {false}, 100) == std::vector<uint64_t>{1025});
  // After a pause longer than the gap a walk starts again: its first listing takes only its own.
  pause_walk(p);
  CHECK(list_down(p, fetcher, 1, {false}, 101) == std::vector<uint64_t>{1});
  // Lookups (not listings) never take more than they name.
  drive::MissingBlocks lookup;
  for (uint64_t b = 5000; b < 5040; ++b) lookup.add(p.replica, b, true);
  auto outcome = fetch_all(p, fetcher, lookup);
  REQUIRE(outcome.ok());
  CHECK(*outcome == 40);
}

TEST_CASE("fetcher: a listing takes a short metadata core whole; a lookup or a content core never") {
  for (auto kind : {std::pair{true, true}, std::pair{true, false}, std::pair{false, true}}) {
    const bool metadata = kind.first;
    const bool listing = kind.second;
    CAPTURE(metadata);
    CAPTURE(listing);
    Pair p(1000);
    node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
    fetch_last(p, fetcher, metadata);
    drive::MissingBlocks missing;
    for (uint64_t b : {3, 40, 500}) missing.add(p.replica, b, metadata);
    missing.listing = listing;
    auto outcome = fetch_all(p, fetcher, missing);
    REQUIRE(outcome.ok());
    const bool whole = metadata && listing;
    CHECK(*outcome == (whole ? 999 : 3));
    CHECK(p.replica->blocks_present() == (whole ? 1000 : 4));
  }
}

TEST_CASE("fetcher: a big listing takes the blocks between those it lacks when they lie close together") {
  for (uint64_t step : {4, 10}) {
    CAPTURE(step);
    Pair p(20000);
    node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
    fetch_last(p, fetcher, /*metadata=*/true);
    // 300 trie nodes of a big folder, written together: every 4th block of 1,197 (fewer than 8
    // times 300), or every 10th of 2,991 (more). Far from the bulk rule: 19,999 absent.
    drive::MissingBlocks missing;
    for (uint64_t i = 0; i < 300; ++i) missing.add(p.replica, 10000 + step * i, true);
    missing.listing = true;
    auto outcome = fetch_all(p, fetcher, missing);
    REQUIRE(outcome.ok());
    CHECK(*outcome == (step == 4 ? 1197 : 300));
  }
}

TEST_CASE("fetcher: what a walk takes along does not widen a listing's span") {
  Pair p(20000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/true);
  CHECK(list_down(p, fetcher, 1, {false}, 10000) == std::vector<uint64_t>{1});  // a walk starts
  // Its second listing lacks 300 blocks, every 10th of 2,991 (too spread for the span rule), and
  // takes 1,024 along from the first of them: 1,324, not the 2,991 of the stretch they make.
  drive::MissingBlocks missing;
  for (uint64_t i = 0; i < 300; ++i) missing.add(p.replica, 10000 + 10 * i, true);
  missing.listing = true;
  auto outcome = fetch_all(p, fetcher, missing);
  REQUIRE(outcome.ok());
  CHECK(*outcome == 1324);
}

TEST_CASE("fetcher: a small or content batch takes only its blocks") {
  Pair p(3000);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  fetch_last(p, fetcher, /*metadata=*/false);
  for (bool metadata : {true, false}) {
    drive::MissingBlocks missing;
    // metadata: 300 wanted but 3,000 absent (more than 8 times); content: never in bulk
    for (uint64_t b = metadata ? 0 : 1000; b < (metadata ? 300 : 2000); ++b) missing.add(p.replica, b, metadata);
    auto outcome = fetch_all(p, fetcher, missing);
    REQUIRE(outcome.ok());
    CHECK(*outcome == (metadata ? 300 : 1000));
  }
  CHECK(p.replica->blocks_present() == 1301);
}

TEST_CASE("fetcher: blocks that keep arriving keep a batch alive past its timeout") {
  Pair p(1);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 1000);
  drive::MissingBlocks missing;
  for (uint64_t b = 1; b <= 15; ++b) missing.add(p.replica, b);  // not written yet
  std::optional<Result<uint64_t>> outcome;
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  // The writer appends one of them every 100 ms: 1.5 s in all, each well within the timeout.
  const uint64_t start = uv_now(&p.loop.loop);
  uint64_t next_ms = start + 100;
  REQUIRE(p.loop.run_until([&] {
    if (p.writer->length() <= 15 && uv_now(&p.loop.loop) >= next_ms) {
      Bytes b = block_bytes(p.writer->length(), 100);
      REQUIRE(p.writer->append({ByteView(b)}).ok());
      next_ms += 100;
    }
    return outcome.has_value();
  }, 20000));
  REQUIRE(outcome->ok());
  CHECK(**outcome == 15);
  CHECK(uv_now(&p.loop.loop) - start >= 1500);
  CHECK(fetcher.stats().timeouts == 0);
}

TEST_CASE("fetcher: a batch that stops making progress times out and leaves no get queued") {
  Pair p(10);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 300);
  drive::MissingBlocks missing;
  for (uint64_t b = 0; b < 5; ++b) missing.add(p.replica, b);
  missing.add(p.replica, 50);  // beyond the writer's length: no peer has it
  std::optional<Result<uint64_t>> outcome;
  fetcher.fetch(missing, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
  REQUIRE(!outcome->ok());
  CHECK(outcome->error().code() == Errc::Timeout);
  CHECK(p.replica->blocks_present() == 5);  // what came stays
  CHECK(fetcher.stats().timeouts == 1);
  CHECK(fetcher.pending_batches() == 0);
  CHECK(fetcher.pending_gets() == 0);
  CHECK(p.client->pending_gets() == 0);

  // Asked again at once, it fails without waiting (the kernel retries failed reads).
  drive::MissingBlocks again;
  again.add(p.replica, 50);
  outcome.reset();
  fetcher.fetch(again, false, [&](Result<uint64_t> r) { outcome = std::move(r); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }, 100));
  CHECK(outcome->error().code() == Errc::Timeout);
  CHECK(p.client->pending_gets() == 0);
}

TEST_CASE("fetcher: a batch past the bound on waiting gets fails whole, nothing queued") {
  Pair p(100);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000, 50);
  drive::MissingBlocks first;
  for (uint64_t b = 0; b < 40; ++b) first.add(p.replica, b);
  drive::MissingBlocks second;
  for (uint64_t b = 40; b < 60; ++b) second.add(p.replica, b);
  std::optional<Result<uint64_t>> a;
  std::optional<Result<uint64_t>> b;
  fetcher.fetch(first, false, [&](Result<uint64_t> r) { a = std::move(r); });
  fetcher.fetch(second, false, [&](Result<uint64_t> r) { b = std::move(r); });  // 40 + 20 > 50
  REQUIRE(p.loop.run_until([&] { return a.has_value() && b.has_value(); }));
  CHECK(a->ok());
  REQUIRE(!b->ok());
  CHECK(b->error().code() == Errc::Unavailable);
  CHECK(p.replica->blocks_present() == 40);
  CHECK(p.client->pending_gets() == 0);
}

TEST_CASE("fetcher: destroyed with batches in flight, nothing stays queued") {
  Pair p(10);
  bool called = false;
  {
    node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
    drive::MissingBlocks missing;
    missing.add(p.replica, 70);
    fetcher.fetch(missing, false, [&](Result<uint64_t>) { called = true; });
    p.loop.run_until([] { return false; }, 20);
  }
  p.loop.run_until([] { return false; }, 20);
  CHECK(!called);
  CHECK(p.client->pending_gets() == 0);
}

TEST_CASE("run_fetching: an operation that needs many rounds is never cut short") {
  // Each attempt lacks the next block only: 200 rounds, far past the old limit of 64.
  Pair p(200);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  drive::MissingBlocks missing;
  int attempts = 0;
  std::optional<Result<uint64_t>> outcome;
  node::run_fetching<uint64_t>(
      &fetcher,
      [&]() -> Result<uint64_t> {
        ++attempts;
        missing.clear();
        for (uint64_t b = 0; b < 200; ++b) {
          if (!p.replica->has(b)) {
            missing.add(p.replica, b);
            return Error::unavailable("block {} is not local", b);
          }
        }
        return uint64_t{200};
      },
      [&]() -> const drive::MissingBlocks& { return missing; },
      [&](Result<uint64_t> r) { outcome = std::move(r); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }, 60000));
  REQUIRE(outcome->ok());
  CHECK(**outcome == 200);
  CHECK(attempts == 201);
  CHECK(fetcher.stats().batches == 200);
}

TEST_CASE("run_fetching: an operation that keeps naming local blocks stops") {
  Pair p(5);
  node::Fetcher fetcher(&p.loop.loop, *p.client, 10000);
  drive::MissingBlocks missing;
  missing.add(p.replica, 0);
  int attempts = 0;
  std::optional<Status> outcome;
  node::run_fetching<void>(
      &fetcher, [&]() -> Status { ++attempts; return Error::unavailable("always"); },
      [&]() -> const drive::MissingBlocks& { return missing; },
      [&](Status s) { outcome = std::move(s); });
  REQUIRE(p.loop.run_until([&] { return outcome.has_value(); }));
  CHECK(outcome->error().code() == Errc::Unavailable);
  CHECK(attempts == node::kMaxIdleRounds + 2);
}
