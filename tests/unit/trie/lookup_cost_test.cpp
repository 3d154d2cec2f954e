// Blocks read per lookup and per listing match the JS counts of
// vectors/hypertrie-lookup-costs.json (tries of dir-{i mod D}/file-{i}.txt keys). The vector
// file does not say which keys were looked up: for 100 keys the numbers are those of every key
// (exact match); for 1000 and 10000 they are of a sample that excludes the head (min 2), so
// there mean/median/max are compared with the statistics of every key, with a tolerance on the
// mean. Missing keys are not named either; dir-{i mod D}/missing-{i}.txt is compared loosely.
// The one-directory listing is of dir-1 (the only directory matching all three rows).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "crypto/keys.hpp"
#include "trie/trie.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;

namespace {

struct Stats {
  double mean = 0;
  double median = 0;
  size_t max = 0;
  size_t min = 0;
};

Stats stats(std::vector<size_t> counts) {
  std::sort(counts.begin(), counts.end());
  Stats s;
  double sum = 0;
  for (size_t c : counts) sum += static_cast<double>(c);
  s.mean = sum / static_cast<double>(counts.size());
  s.median = static_cast<double>(counts[counts.size() / 2]);
  s.max = counts.back();
  s.min = counts.front();
  return s;
}

std::string key_of(size_t i, size_t dirs) {
  return "dir-" + std::to_string(i % dirs) + "/file-" + std::to_string(i) + ".txt";
}

// Distinct blocks read by one operation on a cold cache (JS: distinct feed.get calls).
template <typename Op>
size_t blocks_read(MemoryLog& log, Trie& trie, Op op) {
  trie.clear_cache_for_test();
  log.clear_reads();
  op();
  std::set<uint64_t> distinct(log.reads().begin(), log.reads().end());
  CHECK(distinct.size() == log.reads().size());
  return distinct.size();
}

}  // namespace

TEST_CASE("lookup and listing block counts match hypertrie 4.8.0") {
  REQUIRE(crypto::init());
  auto v = hypermount::test::load_vectors("hypertrie-lookup-costs.json");
  for (const auto& r : v["results"]) {
    const size_t keys = r["keys"];
    const size_t dirs = r["directories"];
    CAPTURE(keys);
    MemoryLog log;
    auto trie = std::move(*Trie::open(log));
    for (size_t i = 0; i < keys; ++i) {
      REQUIRE(trie->put(key_of(i, dirs), as_bytes("value-" + std::to_string(i))));
    }
    CHECK(log.length() == r["metadataBlocks"].get<size_t>());

    std::vector<size_t> existing;
    for (size_t i = 0; i < keys; ++i) {
      existing.push_back(blocks_read(log, *trie, [&] {
        auto g = trie->get(key_of(i, dirs));
        REQUIRE(g);
        REQUIRE(*g);
      }));
    }
    const Stats e = stats(existing);
    const auto& want = r["getExisting"];
    CHECK(e.median == want["median"].get<double>());
    CHECK(e.max == want["max"].get<size_t>());
    if (keys == 100) {
      CHECK(std::round(e.mean * 100) / 100 == doctest::Approx(want["mean"].get<double>()));
      CHECK(e.min == want["min"].get<size_t>());
    } else {
      CHECK(e.mean == doctest::Approx(want["mean"].get<double>()).epsilon(0.01));
    }

    std::vector<size_t> missing;
    for (size_t i = 0; i < keys; ++i) {
      missing.push_back(blocks_read(log, *trie, [&] {
        auto g = trie->get("dir-" + std::to_string(i % dirs) + "/missing-" + std::to_string(i) + ".txt");
        REQUIRE(g);
        CHECK(*g == nullptr);
      }));
    }
    const Stats m = stats(missing);
    const auto& want_missing = r["getMissing"];
    CHECK(m.mean == doctest::Approx(want_missing["mean"].get<double>()).epsilon(0.03));
    CHECK(m.median == want_missing["median"].get<double>());
    CHECK(m.max <= want_missing["max"].get<size_t>());

    size_t entries = 0;
    const size_t root = blocks_read(log, *trie, [&] {
      ListOptions o;
      o.recursive = false;
      auto l = trie->list("", o);
      REQUIRE(l);
      entries = l->size();
    });
    CHECK(entries == r["listRootNonRecursive"]["entries"].get<size_t>());
    CHECK(root == r["listRootNonRecursive"]["blocksVisited"].get<size_t>());

    const size_t one = blocks_read(log, *trie, [&] {
      ListOptions o;
      o.recursive = false;
      auto l = trie->list("dir-1", o);
      REQUIRE(l);
      entries = l->size();
    });
    CHECK(entries == r["listOneDirNonRecursive"]["entries"].get<size_t>());
    CHECK(one == r["listOneDirNonRecursive"]["blocksVisited"].get<size_t>());
  }
}
