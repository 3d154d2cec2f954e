// The `hypertrie` extension: what a get or an iterator reads in a trie of 1,000 keys, that a
// sparse replica given exactly those blocks can run the same operation, and a fetcher's query.
#include "node/trie_extension.hpp"

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "hypertrie.pb.h"
#include "node/fetcher.hpp"
#include "node/peer_budget.hpp"
#include "replication_fixture.hpp"
#include "temp_dir.hpp"
#include "trie/block_log.hpp"
#include "trie/trie.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <string>

using namespace hypermount;
using hypermount::test::TempDir;

namespace {

constexpr uint64_t kKeys = 1000;

struct Fixture {
  TempDir dir;
  std::unique_ptr<core::Core> writer;
  Fixture() {
    REQUIRE(crypto::init());
    writer = std::move(*core::Core::create(dir / "writer"));
    trie::CoreLog log(*writer);
    auto trie = trie::Trie::open(log);
    REQUIRE(trie);
    for (uint64_t i = 0; i < kKeys; ++i) {
      const std::string value = fmt::format("value {}", i);
      REQUIRE((*trie)->put(fmt::format("k/{}", i), as_bytes(value)));
    }
  }
  // The blocks named by the cache messages answering `request`.
  std::vector<uint64_t> answer(const trie::pb::Extension& request) {
    Bytes payload(request.ByteSizeLong());
    request.SerializeToArray(payload.data(), static_cast<int>(payload.size()));
    std::vector<uint64_t> blocks;
    for (const Bytes& reply : node::answer_trie_extension(*writer, payload).messages) {
      trie::pb::Extension cache;
      REQUIRE(cache.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
      REQUIRE(cache.has_cache());
      CHECK(cache.cache().blocks_size() <= 128);
      for (uint64_t b : cache.cache().blocks()) {
        CHECK(b >= cache.cache().start());
        CHECK(b < cache.cache().end());
        blocks.push_back(b);
      }
    }
    return blocks;
  }
  // A sparse replica holding the writer's last block and `blocks`, nothing else.
  std::unique_ptr<core::Core> replica_with(const std::vector<uint64_t>& blocks) {
    auto replica = std::move(*core::Core::open_replica(dir / fmt::format("replica{}", replicas++), writer->key()));
    std::set<uint64_t> remote;
    std::set<uint64_t> wanted(blocks.begin(), blocks.end());
    wanted.insert(writer->length() - 1);
    for (auto it = wanted.rbegin(); it != wanted.rend(); ++it) {
      auto proof = writer->proof(*it, replica->digest_for(*it), false, remote);
      REQUIRE(proof);
      REQUIRE(replica->put_remote(*it, ByteView(*writer->get(*it)), proof->nodes, proof->signature));
    }
    return replica;
  }
  int replicas = 0;
};

}  // namespace

// The writer's trie served over loopback to a sparse replica that follows its head; both sides
// answer the extension, the replica handing the blocks a peer's cache message names to `on_cache`.
struct Served {
  test::Loop loop;
  std::shared_ptr<core::Core> replica;
  wire::Replicator server{&loop.loop};
  wire::Replicator client{&loop.loop};
  test::Link link;
  std::function<void(std::vector<uint64_t>)> on_cache;
  explicit Served(Fixture& f) {
    replica = core::Core::open_replica(f.dir / "client", f.writer->key()).value();
    REQUIRE(server.add_core(*f.writer, {}).ok());
    REQUIRE(node::answer_trie_extension_on(server, *f.writer));
    REQUIRE(client.add_core(*replica, {.upload = true, .live = true, .follow_head = true}).ok());
    REQUIRE(node::answer_trie_extension_on(client, *replica, [this](std::vector<uint64_t> blocks) {
      if (on_cache) on_cache(std::move(blocks));
    }));
    link = test::connect(&loop.loop, client, server);
    CHECK(loop.run_until([&] { return replica->length() == f.writer->length(); }));
  }
};

TEST_CASE("trie extension: a get is answered with the blocks it reads, enough for a replica to run it") {
  Fixture f;
  trie::pb::Extension request;
  request.mutable_get()->set_head(f.writer->length() - 1);
  request.mutable_get()->set_key("k/500");
  const auto blocks = f.answer(request);
  CHECK(blocks.size() >= 2);   // the head and the entry at least
  CHECK(blocks.size() <= 12);  // a path down a trie of 1,000 keys, not the trie
  auto replica = f.replica_with(blocks);
  trie::CoreLog log(*replica);
  trie::Trie view(log);
  auto got = view.get("k/500");
  REQUIRE(got.ok());  // no block missing
  REQUIRE(*got);
  CHECK(as_chars(*(*got)->value()) == "value 500");
}

TEST_CASE("trie extension: an iterator is answered with what the listing reads, at most 2,176 blocks") {
  Fixture f;
  trie::pb::Extension request;
  request.mutable_iterator()->set_head(f.writer->length() - 1);
  request.mutable_iterator()->set_key("k");
  request.mutable_iterator()->set_flags(1);  // recursive
  const auto blocks = f.answer(request);
  CHECK(blocks.size() >= kKeys);  // every entry's node
  CHECK(blocks.size() <= 2176);
  auto replica = f.replica_with(blocks);
  trie::CoreLog log(*replica);
  trie::Trie view(log);
  auto listed = view.list("k");
  REQUIRE(listed.ok());
  CHECK(listed->size() == kKeys);
}

TEST_CASE("trie extension: anything but a get or an iterator with a key gets no answer") {
  Fixture f;
  trie::pb::Extension cache;
  cache.mutable_cache()->set_start(0);
  cache.mutable_cache()->set_end(1);
  cache.mutable_cache()->add_blocks(0);
  CHECK(f.answer(cache).empty());
  trie::pb::Extension keyless;
  keyless.mutable_iterator()->set_head(5);
  CHECK(f.answer(keyless).empty());
  const Bytes garbage{0xff, 0xff, 0xff, 0x0f};
  CHECK(node::answer_trie_extension(*f.writer, garbage).messages.empty());
  // A version this side does not have: nothing read, nothing named.
  trie::pb::Extension ahead;
  ahead.mutable_get()->set_head(f.writer->length() + 50);
  ahead.mutable_get()->set_key("k/1");
  CHECK(f.answer(ahead).empty());
}

TEST_CASE("trie extension: a lookup's query to a peer brings every block the peer names, asked once") {
  Fixture f;
  Served served(f);
  test::Loop& loop = served.loop;
  std::shared_ptr<core::Core> replica = served.replica;
  node::Fetcher fetcher(&loop.loop, served.client, 10000);
  served.on_cache = [&](std::vector<uint64_t> blocks) { fetcher.cached(replica->key(), blocks); };
  trie::pb::Extension request;
  request.mutable_get()->set_head(f.writer->length() - 1);
  request.mutable_get()->set_key("k/500");
  const auto named = f.answer(request);
  // A lookup that lacks its first node below the head: the query goes along with it.
  drive::MissingBlocks missing;
  missing.add(replica, named[1], true);
  missing.queries.push_back({replica, f.writer->length() - 1, "k/500", std::nullopt});
  auto ask = [&] {
    std::optional<Result<uint64_t>> outcome;
    fetcher.fetch(missing, false, [&](Result<uint64_t> got) { outcome = std::move(got); });
    CHECK(loop.run_until([&] { return outcome.has_value(); }));
  };
  ask();
  const auto all_here = [&] {
    return std::all_of(named.begin(), named.end(), [&](uint64_t b) { return replica->has(b); });
  };
  CHECK(loop.run_until(all_here));
  CHECK(fetcher.stats().queries == 1);
  CHECK(fetcher.stats().cached >= 1);
  CHECK(fetcher.stats().batches == 1);  // the named blocks come in a batch nobody waits for
  trie::CoreLog log(*replica);
  trie::Trie view(log);
  auto got = view.get("k/500");
  REQUIRE(got.ok());  // every block of the lookup is here now
  ask();
  CHECK(fetcher.stats().queries == 1);  // the same query is not asked again
  // Blocks named for a core nothing was asked about are not fetched.
  fetcher.cached(crypto::PublicKey{}, {1, 2, 3});
  CHECK(fetcher.pending_gets() == 0);
}

TEST_CASE("trie extension: a peer asking for more than its budget is not answered past it") {
  Fixture f;
  Served served(f);
  size_t named = 0;
  served.on_cache = [&](std::vector<uint64_t> blocks) { named += blocks.size(); };
  wire::Replicator& client = served.client;
  core::Core& replica = *served.replica;
  // A listing of all 1,000 keys: between 1,000 and 2,176 blocks read to answer it.
  trie::pb::Extension request;
  request.mutable_iterator()->set_head(f.writer->length() - 1);
  request.mutable_iterator()->set_key("k");
  request.mutable_iterator()->set_flags(1);  // recursive
  const size_t per_request = f.answer(request).size();
  REQUIRE(per_request >= 1000);
  Bytes payload(request.ByteSizeLong());
  request.SerializeToArray(payload.data(), static_cast<int>(payload.size()));
  constexpr size_t kRequests = 400;
  const double started = node::PeerBudget::steady_seconds();
  for (size_t i = 0; i < kRequests; ++i) REQUIRE(client.broadcast_extension(replica, "hypertrie", payload) == 1);
  // A block asked after them does not wait behind their answers: the server answers a cache
  // message per turn of its loop, serving requests in between.
  REQUIRE(!replica.has(0));
  bool got = false;
  size_t named_before_block = 0;
  REQUIRE(client.get(replica, 0, [&](Result<Bytes> block) {
    got = block.ok();
    named_before_block = named;
  }).ok());
  CHECK(served.loop.run_until([&] { return got; }));
  CHECK(named_before_block < per_request);
  // 32 listings' worth of 2,176 blocks at once, 8 more a second: at least the first ones, and
  // never more than the budget gave over the time taken (plus the one answer that may overdraw
  // it). Enough turns of the loop for every query to have had its turn (a refused one takes one;
  // an answer a turn per message).
  CHECK(served.loop.run_until([&] { return named >= 32 * 2176 - per_request; }));
  for (size_t turn = 0; turn < 4 * kRequests; ++turn) uv_run(&served.loop.loop, UV_RUN_NOWAIT);
  const double seconds = node::PeerBudget::steady_seconds() - started;
  const size_t answered = named / per_request;
  CHECK(static_cast<double>(named) <= 32.0 * 2176 + 8.0 * 2176 * seconds + static_cast<double>(per_request));
  MESSAGE(answered << " of " << kRequests << " listings answered in " << seconds << " s");
}
