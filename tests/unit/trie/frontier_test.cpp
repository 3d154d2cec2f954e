// Listing a sparse trie: a failed list() names the whole frontier it can see (every block it can
// tell the rest of the listing needs), so a folder of any size lists in about as many fetch
// rounds as the trie is deep; the iterator alone names one expansion's blocks at a time.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "crypto/keys.hpp"
#include "trie/trie.hpp"

using namespace hypermount;
using namespace hypermount::trie;

namespace {

// A trie with `n` entries in folder `many` and a few elsewhere.
void fill(MemoryLog& log, size_t n) {
  auto trie = Trie::open(log);
  REQUIRE(trie.ok());
  for (size_t i = 0; i < 50; ++i) {
    const std::string value = "elsewhere " + std::to_string(i);
    REQUIRE((*trie)->put("other/o" + std::to_string(i), as_bytes(value)).ok());
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string value = std::to_string(i);
    REQUIRE((*trie)->put("many/f" + std::to_string(i) + ".txt", as_bytes(value)).ok());
  }
}

void make_all_absent(MemoryLog& log) {
  for (uint64_t seq = 0; seq < log.length(); ++seq) log.set_absent(seq, true);
}

struct Listing {
  size_t entries = 0;
  size_t rounds = 0;  // fetches of what the failed attempt named
};

// Lists `many` from a reader that has nothing local, making the blocks each failed attempt names
// present (one fetch round each), as the engine does. `whole_frontier`: what list() names;
// otherwise what the iterator's last failed step names.
Listing list_sparse(MemoryLog& log, bool whole_frontier) {
  Trie sparse(log);
  ListOptions options;
  options.recursive = false;
  Listing out;
  for (size_t round = 0; round < 100000; ++round) {
    std::vector<uint64_t> missing;
    if (whole_frontier) {
      auto listed = sparse.list("many", options);
      if (listed.ok()) {
        out.entries = listed->size();
        return out;
      }
      REQUIRE(listed.error().code() == Errc::Unavailable);
      missing = sparse.missing_seqs();
    } else {
      Iterator it = sparse.iterator("many", options);
      size_t entries = 0;
      Status failed;
      while (true) {
        auto next = it.next();
        if (!next) {
          failed = next.error();
          break;
        }
        if (!*next) break;
        ++entries;
      }
      if (failed.ok()) {
        out.entries = entries;
        return out;
      }
      missing = it.missing_seqs();
    }
    REQUIRE(!missing.empty());
    for (uint64_t seq : missing) log.set_absent(seq, false);
    ++out.rounds;
  }
  FAIL("the listing never completed");
  return out;
}

}  // namespace

TEST_CASE("a sparse listing needs fetch rounds bounded by the trie's depth, not its size") {
  REQUIRE(crypto::init());
  for (size_t n : {300, 5000, 20000}) {
    CAPTURE(n);
    MemoryLog log;
    fill(log, n);
    make_all_absent(log);
    const Listing wide = list_sparse(log, true);
    CHECK(wide.entries == n);
    // The trie's depth below the folder grows as log4(entries): 2 bits of the path hash per
    // level. Add the walk from the head to the folder and a few collision levels.
    const auto bound = static_cast<size_t>(std::ceil(std::log(static_cast<double>(n)) / std::log(4.0))) + 8;
    CHECK(wide.rounds <= bound);
    std::printf("listing %zu entries from nothing: %zu rounds with the whole frontier (bound %zu)\n",
                n, wide.rounds, bound);
    if (n == 300) {  // one expansion at a time costs a round per trie node: shown on the small one
      make_all_absent(log);
      const Listing narrow = list_sparse(log, false);
      CHECK(narrow.entries == n);
      std::printf("  %zu rounds one expansion at a time\n", narrow.rounds);
      CHECK(narrow.rounds > 10 * wide.rounds);
    }
  }
}
