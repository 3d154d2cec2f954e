// A folder of a replica drive listed in rounds, as a remote listing is: each try that lacks
// blocks names them, and the drive moving on between two rounds gives the new version's listing.
#include "drive/drive.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <string>

#include "store_fixture.hpp"

using namespace hypermount;

namespace {

// The writer's drive, and a replica of it in a second store given metadata blocks as a
// fetcher would bring them (verified against the writer's proofs).
struct Replicated {
  test::StoreFixture writer_store;
  test::StoreFixture replica_store;
  std::unique_ptr<drive::Drive> writer = writer_store.own("w");
  std::unique_ptr<drive::Drive> replica;
  std::set<uint64_t> remote;

  void give(uint64_t block) {
    core::Core& from = writer->metadata();
    core::Core& to = replica->metadata();
    if (to.has(block)) return;
    auto proof = from.proof(block, to.digest_for(block), false, remote);
    REQUIRE(proof.ok());
    REQUIRE(to.put_remote(block, ByteView(*from.get(block)), proof->nodes, proof->signature).ok());
  }
  // The writer's head (and block 0): what a replica following it learns first.
  void give_head() {
    give(writer->metadata().length() - 1);
    give(0);
  }
};

std::set<std::string> names(const std::vector<drive::DirListing>& listing) {
  std::set<std::string> out;
  for (const auto& entry : listing) out.insert(entry.name);
  return out;
}

}  // namespace

TEST_CASE("drive: a listing that lacks blocks completes in rounds, of the version it ends at") {
  Replicated r;
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) {
    REQUIRE(r.writer->write_file(fmt::format("/d/f{}", i), test::text("x"), drive::Stat{}).ok());
  }
  auto opened = drive::Drive::open(*r.replica_store.store, r.writer->key());
  REQUIRE(opened.ok());
  r.replica = std::move(*opened);
  r.give_head();
  int rounds = 0;
  bool appended = false;
  Result<std::vector<drive::DirListing>> listing = Error::unavailable("not tried");
  while (rounds < 64) {
    listing = r.replica->readdir("/d");
    if (listing || listing.error().code() != Errc::Unavailable) break;
    ++rounds;
    const auto& missing = r.replica->missing();
    REQUIRE(!missing.empty());
    for (const auto& in_core : missing.cores) {
      REQUIRE(in_core.core.get() == &r.replica->metadata());  // a listing reads metadata only
      for (uint64_t block : in_core.blocks) r.give(block);
    }
    if (missing.cores.front().blocks.size() > 10 && !appended) {
      // The drive moves on between two rounds of the listing itself (its lookups of /d lack 3
      // blocks a round; then it lacks dozens): the listing is of the new version.
      REQUIRE(r.writer->write_file("/d/new", test::text("y"), drive::Stat{}).ok());
      r.give_head();
      appended = true;
    }
  }
  REQUIRE(listing.ok());
  REQUIRE(appended);
  const auto listed = names(*listing);
  CHECK(listed.size() == kFiles + 1);
  CHECK(listed.count("new") == 1);
  CHECK(listed.count("f0") == 1);
  CHECK(listed.count(fmt::format("f{}", kFiles - 1)) == 1);
  // Listed again with everything here: the same, at once.
  auto again = r.replica->readdir("/d");
  REQUIRE(again.ok());
  CHECK(names(*again) == listed);
}
