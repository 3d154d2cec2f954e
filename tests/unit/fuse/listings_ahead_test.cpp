#include "fuse/listings_ahead.hpp"

#include "../drive/store_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace hypermount::fuse {
namespace {

Attr with_mode(uint32_t mode) {
  Attr attr;
  attr.mode = mode;
  return attr;
}

// Listings ahead of a real drive's folders: / holds a (with x and y), b and c.
struct Fixture {
  test::StoreFixture store;
  std::unique_ptr<drive::Drive> drive = store.own("ahead");
  uv_loop_t loop{};
  bool requests_waiting = false;
  uint64_t listings = 0;  // listings asked of the drive
  std::unique_ptr<ListingsAhead> ahead;

  Fixture() {
    for (const char* path : {"/a", "/a/x", "/a/y", "/b", "/c"}) REQUIRE(drive->mkdir(path, 0755).ok());
    uv_loop_init(&loop);
    ahead = std::make_unique<ListingsAhead>(
        &loop, [this](const std::string& path) { return list(path); }, [this] { return drive->tree_version(); });
    ahead->set_requests_waiting([this] { return requests_waiting; });
  }
  ~Fixture() {
    ahead.reset();
    uv_run(&loop, UV_RUN_DEFAULT);  // the idle handle's close
    uv_loop_close(&loop);
  }
  Result<std::vector<DirEntry>> list(const std::string& path) {
    ++listings;
    HM_TRY_ASSIGN(auto listing, drive->readdir(path));
    std::vector<DirEntry> entries;
    for (auto& item : listing) entries.push_back({item.name, with_mode(item.stat.mode)});
    return entries;
  }
  // What the kernel's listing of `path` gets: made ahead, else listed now.
  std::vector<DirEntry> open_dir(const std::string& path) {
    auto entries = ahead->take(path);
    if (!entries) entries = *list(path);
    ahead->listed(path, *entries);
    return *entries;
  }
  static std::vector<std::string> names(const std::vector<DirEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.name);
    return out;
  }
};

// The folders a walk opens after /FIRST (the first folder of /'s listing, which is in the
// trie's order): its own subfolders, then the folders after it in /'s listing.
std::vector<std::string> after_first(Fixture& f, std::string& first) {
  auto root = Fixture::names(f.open_dir("/"));
  first = "/" + root.front();
  std::vector<std::string> next;
  for (const auto& name : Fixture::names(*f.list(first))) next.push_back(first + "/" + name);
  for (size_t i = 1; i < root.size(); ++i) next.push_back("/" + root[i]);
  return next;
}

TEST_CASE("a walk going down has its subfolders, then their siblings, listed ahead") {
  Fixture f;
  std::string first;
  const auto next = after_first(f, first);
  REQUIRE(next.size() >= 2);
  f.open_dir(first);  // a walk: / was listed just before
  const uint64_t by_walk = f.listings;
  uv_run(&f.loop, UV_RUN_DEFAULT);  // returns once the idle handle stops: nothing left to list
  CHECK(f.ahead->made() == next.size());
  CHECK(f.listings == by_walk + next.size());
  auto last = f.ahead->take(next.back());
  REQUIRE(last.has_value());
  CHECK(Fixture::names(*last) == Fixture::names(*f.list(next.back())));
  CHECK_FALSE(f.ahead->take(next.back()).has_value());  // taken once
  const uint64_t before = f.listings;
  f.open_dir(next.front());
  CHECK(f.listings == before);  // made ahead: not listed again
  CHECK(f.ahead->taken() == 2);
}

TEST_CASE("a folder listed on its own lists nothing ahead") {
  Fixture f;
  f.open_dir("/a");
  f.open_dir("/b");
  for (int i = 0; i < 8; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(f.ahead->made() == 0);
}

TEST_CASE("a change to the drive drops what was listed ahead before it") {
  Fixture f;
  std::string first;
  const auto next = after_first(f, first);
  f.open_dir(first);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  REQUIRE(f.ahead->made() == next.size());
  REQUIRE(f.drive->mkdir(next.back() + "/new", 0755).ok());
  CHECK_FALSE(f.ahead->take(next.back()).has_value());
  const auto names = Fixture::names(f.open_dir(next.back()));
  CHECK(std::find(names.begin(), names.end(), "new") != names.end());
}

TEST_CASE("nothing is listed ahead while the kernel has requests waiting") {
  Fixture f;
  f.requests_waiting = true;
  std::string first;
  const auto next = after_first(f, first);
  f.open_dir(first);
  for (int i = 0; i < 8; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(f.ahead->made() == 0);
  f.requests_waiting = false;
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(f.ahead->made() == next.size());
}

TEST_CASE("once the kernel is gone (unmounted) nothing more is listed ahead") {
  Fixture f;
  std::string first;
  after_first(f, first);
  f.open_dir(first);
  f.ahead->set_requests_waiting(nullptr);
  uv_run(&f.loop, UV_RUN_DEFAULT);  // returns: the idle handle stops with nothing queued
  CHECK(f.ahead->made() == 0);
}

TEST_CASE("a folder that cannot be listed is left out") {
  Fixture f;
  auto root = Fixture::names(f.open_dir("/"));
  // A listing of /a that names a folder the drive does not have (it fails, and is skipped).
  f.ahead->listed("/a", {{"gone", with_mode(S_IFDIR | 0755)}, {"x", with_mode(S_IFDIR | 0755)}});
  uv_run(&f.loop, UV_RUN_DEFAULT);
  const auto a_at = std::find(root.begin(), root.end(), "a");
  REQUIRE(a_at != root.end());
  CHECK(f.ahead->made() == 1 + static_cast<uint64_t>(root.end() - a_at - 1));  // /a/x and /a's siblings after it
  CHECK_FALSE(f.ahead->take("/a/gone").has_value());
  CHECK(f.ahead->take("/a/x").has_value());
}

}  // namespace
}  // namespace hypermount::fuse
