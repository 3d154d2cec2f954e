#include "drive/drive_history.hpp"

#include "store_fixture.hpp"

using namespace hypermount;
using drive::PathChange;

TEST_CASE("drive history: puts and deletes by version, diffs between versions") {
  test::StoreFixture f;
  auto d = f.own("hist");
  REQUIRE(d->write_file("/a.txt", test::text("one"), {}).ok());       // version 2
  REQUIRE(d->write_file("/dir/b.txt", test::text("two"), {}).ok());   // 3
  REQUIRE(d->write_file("/a.txt", test::text("three"), {}).ok());     // 4
  REQUIRE(d->unlink("/dir/b.txt", drive::ParentTimes::Keep).ok());    // 5
  REQUIRE(d->version() == 5);

  auto h = drive::history(d->metadata());
  REQUIRE(h.ok());
  REQUIRE(h->size() == 4);
  CHECK((*h)[0].version == 2);
  CHECK((*h)[0].changes.at(0).path == "/a.txt");
  CHECK((*h)[0].changes.at(0).kind == PathChange::Kind::Put);
  CHECK((*h)[0].mtime_ms.has_value());
  CHECK((*h)[1].changes.at(0).path == "/dir/b.txt");
  CHECK((*h)[2].changes.at(0).path == "/a.txt");
  REQUIRE((*h)[3].changes.size() == 1);
  CHECK((*h)[3].changes[0].kind == PathChange::Kind::Del);
  CHECK((*h)[3].changes[0].path == "/dir/b.txt");

  auto v3 = drive::state_at(d->metadata(), 3);
  auto v5 = drive::state_at(d->metadata(), 5);
  REQUIRE(v3.ok());
  REQUIRE(v5.ok());
  auto diff = drive::diff_states(*v3, *v5);
  CHECK(diff.added.empty());
  CHECK(diff.removed == std::vector<std::string>{"/dir/b.txt"});
  CHECK(diff.modified == std::vector<std::string>{"/a.txt"});
  auto back = drive::diff_states(*v5, *v3);
  CHECK(back.added == std::vector<std::string>{"/dir/b.txt"});

  auto totals = drive::file_totals(*v5);
  CHECK(totals.files == 1);
  CHECK(totals.bytes == 5);
  CHECK(!drive::state_at(d->metadata(), 6).ok());
}

TEST_CASE("drive history: deleting the only file empties the trie") {
  test::StoreFixture f;
  auto d = f.own("only");
  REQUIRE(d->write_file("/x", test::text("x"), {}).ok());
  REQUIRE(d->unlink("/x", drive::ParentTimes::Keep).ok());
  auto h = drive::history(d->metadata());
  REQUIRE(h.ok());
  REQUIRE(h->size() == 2);
  REQUIRE(h->back().changes.size() == 1);
  CHECK(h->back().changes[0].kind == PathChange::Kind::Del);
  CHECK(h->back().changes[0].path == "/x");
}
