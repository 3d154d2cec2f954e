// Bad input in a drive: a Stat that does not decode, a trie node whose bytes were damaged on
// disk, a content core that is gone, names no folder can hold. The entry concerned fails (or is
// left out of listings); every other entry keeps working, and nothing crashes.
#include "drive/drive.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/file.hpp"
#include "store_fixture.hpp"

using namespace hypermount;
using hypermount::test::text;

namespace {

struct OneDrive : test::StoreFixture {
  std::unique_ptr<drive::Drive> drive = own("drive");
};

}  // namespace

TEST_CASE("an entry whose Stat does not decode fails alone") {
  OneDrive t;
  REQUIRE(t.drive->write_file("/good.txt", text("good"), {}).ok());
  // A second writer over the same metadata core puts bytes that are no Stat message.
  auto metadata = t.store->get(t.drive->key());
  REQUIRE(metadata.ok());
  trie::CoreLog log(**metadata);
  auto writer = trie::Trie::open(log);
  REQUIRE(writer.ok());
  const Bytes garbage{0xff, 0xff, 0xff, 0x0f, 0x42};
  REQUIRE((*writer)->put("bad.stat", ByteView(garbage)).ok());

  auto bad = t.drive->lstat("/bad.stat");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == Errc::Corrupt);
  auto good = t.drive->read_file("/good.txt");
  REQUIRE(good.ok());
  CHECK(*good == text("good"));
  auto listing = t.drive->readdir("/");
  REQUIRE(listing.ok());
  REQUIRE(listing->size() == 1);
  CHECK((*listing)[0].name == "good.txt");
}

TEST_CASE("a trie node damaged on disk is corrupt for the paths through it only") {
  OneDrive t;
  for (int i = 0; i < 40; ++i) {
    REQUIRE(t.drive->write_file(fmt::format("/f{}.txt", i), text(fmt::format("file {}", i)), {}).ok());
  }
  const crypto::PublicKey key = t.drive->key();
  const std::string data_path = t.drive->metadata().dir() + "/data";
  auto offset = t.drive->metadata().block_offset(1);  // the node of /f0.txt
  REQUIRE(offset.ok());
  t.drive.reset();
  t.store.reset();
  {
    auto file = store::File::open(data_path, store::OpenMode::ReadWrite);
    REQUIRE(file.ok());
    const uint8_t flip[1] = {0x5a};
    REQUIRE(file->write(*offset + 3, ByteView(flip, 1)).ok());
  }

  auto store = corestore::Corestore::open(t.dir.path());
  REQUIRE(store.ok());
  auto drive = drive::Drive::open(**store, key);
  REQUIRE(drive.ok());
  auto damaged = (*drive)->lstat("/f0.txt");
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().code() == Errc::Corrupt);
  int readable = 0;
  for (int i = 1; i < 40; ++i) {
    auto read = (*drive)->read_file(fmt::format("/f{}.txt", i));
    if (read && *read == text(fmt::format("file {}", i))) ++readable;
    if (!read) CHECK(read.error().code() == Errc::Corrupt);  // a clear error, never garbage
  }
  CHECK(readable > 0);
}

TEST_CASE("a missing content core fails reads, not lookups") {
  OneDrive t;
  REQUIRE(t.drive->write_file("/a.txt", text("aaa"), {}).ok());
  const crypto::PublicKey key = t.drive->key();
  const std::string content_dir = t.drive->content()->dir();
  t.drive.reset();
  t.store.reset();
  std::filesystem::remove_all(content_dir);

  auto store = corestore::Corestore::open(t.dir.path());
  REQUIRE(store.ok());
  auto drive = drive::Drive::open(**store, key);
  REQUIRE(drive.ok());
  auto stat = (*drive)->lstat("/a.txt");
  REQUIRE(stat.ok());
  CHECK(stat->size == 3);
  auto read = (*drive)->read_file("/a.txt");
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code() == Errc::Unavailable);  // not here: a peer may still have it
  // Its keys went with it: writing new content is refused, not appended to a stranger's core.
  auto wrote = (*drive)->write_file("/b.txt", text("b"), {});
  REQUIRE_FALSE(wrote.ok());
  CHECK(wrote.error().code() == Errc::ReadOnly);
}

TEST_CASE("entries a hostile writer names '.', '..' or with a NUL byte are not listed") {
  OneDrive t;
  REQUIRE(t.drive->write_file("/dir/good.txt", text("good"), {}).ok());
  auto metadata = t.store->get(t.drive->key());
  REQUIRE(metadata.ok());
  trie::CoreLog log(**metadata);
  auto writer = trie::Trie::open(log);
  REQUIRE(writer.ok());
  const Bytes stat = drive::encode_stat(drive::Stat::file(4, 0644));
  const std::vector<std::string> keys{"dir/..", "dir/.", std::string("dir/nul\0name", 12),
                                      "dir/../../escape"};
  for (const std::string& key : keys) {
    REQUIRE((*writer)->put(key, ByteView(stat)).ok());
  }
  auto listing = t.drive->readdir("/dir");
  REQUIRE(listing.ok());
  REQUIRE(listing->size() == 1);
  CHECK((*listing)[0].name == "good.txt");
  auto root = t.drive->readdir("/");
  REQUIRE(root.ok());
  REQUIRE(root->size() == 1);
  CHECK((*root)[0].name == "dir");
  // a path climbing above the root is refused before any lookup
  CHECK(t.drive->lstat("/dir/../../escape").error().code() == Errc::InvalidArgument);
}
