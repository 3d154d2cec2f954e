// Iteration: every vector listing in order, and a restartable listing on a sparse replica.
#include "trie/iterator.hpp"

#include <doctest/doctest.h>

#include "vector_trie.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::trie;

TEST_CASE("vector lists: same nodes in the same order") {
  auto v = hypermount::test::load_vectors("hypertrie.json");
  auto vt = hypermount::trie::test::build_vector_trie();
  REQUIRE(v["lists"].size() == 8);
  for (const auto& l : v["lists"]) {
    const std::string prefix = l["prefix"];
    const auto& o = l["opts"];
    ListOptions opts;
    opts.recursive = o.value("recursive", true);
    opts.reverse = o.value("reverse", false);
    opts.gt = o.value("gt", false);
    opts.hidden = o.value("hidden", false);
    CAPTURE(prefix);
    CAPTURE(o.dump());
    auto r = vt->trie->list(prefix, opts);
    REQUIRE(r);
    std::vector<std::pair<std::string, uint64_t>> got, want;
    for (const auto& n : *r) got.emplace_back(n->key(), n->seq());
    for (const auto& e : l["result"]) want.emplace_back(e["key"], e["seq"]);
    CHECK(got == want);
  }
}

TEST_CASE("a listing on a sparse replica stops at missing blocks and resumes") {
  auto vt = hypermount::trie::test::build_vector_trie();
  auto expected = vt->trie->list();
  REQUIRE(expected);
  Trie reader(vt->log);
  for (uint64_t s = 1; s < vt->log.length(); ++s) vt->log.set_absent(s, true);
  Iterator it = reader.iterator();
  std::vector<NodePtr> got;
  int fetches = 0;
  while (true) {
    auto n = it.next();
    if (!n) {
      REQUIRE(n.error().code() == Errc::Unavailable);
      REQUIRE_FALSE(it.missing_seqs().empty());
      for (uint64_t s : it.missing_seqs()) vt->log.set_absent(s, false);
      ++fetches;
      REQUIRE(fetches < 100);
      continue;
    }
    if (!*n) break;
    got.push_back(*n);
  }
  REQUIRE(got.size() == expected->size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i]->seq() == (*expected)[i]->seq());
  CHECK(fetches > 1);
}
