// Drive: write_file chunking follows the drive's line (hyperdrive.md §7.1: a 600000-byte file is
// one block in 10.8.16, blocks of 524288 and 75712 in 10.21), and a reopened drive knows its
// line from the metadata header subtype (§15); a file handed over in pieces is split the same;
// mknod writes content-less entries; adding or removing an entry stamps its directory's times;
// subdirectories are counted for link counts.
#include "drive/drive.hpp"

#include <functional>

#include <doctest/doctest.h>

#include "store_fixture.hpp"
#include "temp_dir.hpp"

using namespace hypermount;
using hypermount::test::TempDir;

namespace {

Bytes pattern(size_t size) {
  Bytes data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
  return data;
}

// Writes a 600000-byte file to a new drive of `line` and checks its blocks; then reopens the
// drive (by key, from a fresh store object) and checks the line and a second file's blocks.
void check_line(corestore::DriveLine line, const std::vector<size_t>& expected_blocks) {
  TempDir dir;
  const Bytes data = pattern(600000);
  crypto::PublicKey key{};
  {
    auto store = corestore::Corestore::open(dir.path());
    REQUIRE(store.ok());
    auto drive = drive::Drive::open_own((*store)->namespace_("drive"), line);
    REQUIRE(drive.ok());
    key = (*drive)->key();
    CHECK((*drive)->line() == line);
    REQUIRE((*drive)->write_file("/big", data, drive::Stat{}).ok());
    auto st = (*drive)->lstat("/big");
    REQUIRE(st.ok());
    CHECK(st->size == data.size());
    CHECK(st->blocks == expected_blocks.size());
    core::Core* content = (*drive)->content();
    REQUIRE(content != nullptr);
    CHECK(content->length() == st->offset + expected_blocks.size());
    for (size_t i = 0; i < expected_blocks.size(); ++i) {
      auto block = content->get(st->offset + i);
      REQUIRE(block.ok());
      CHECK(block->size() == expected_blocks[i]);
    }
    auto back = (*drive)->read_file("/big");
    REQUIRE(back.ok());
    CHECK(*back == data);
  }
  auto store = corestore::Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto drive = drive::Drive::open(**store, key);
  REQUIRE(drive.ok());
  CHECK((*drive)->writable());
  CHECK((*drive)->line() == line);
  REQUIRE((*drive)->write_file("/again", data, drive::Stat{}).ok());
  auto st = (*drive)->lstat("/again");
  REQUIRE(st.ok());
  CHECK(st->blocks == expected_blocks.size());
  auto back = (*drive)->read_file("/again");
  REQUIRE(back.ok());
  CHECK(*back == data);
}

}  // namespace

TEST_CASE("10.8.16 drives write each file as one block") {
  check_line(corestore::DriveLine::V10_8, {600000});
}

TEST_CASE("10.21 drives split files into 524288-byte blocks") {
  check_line(corestore::DriveLine::V10_21, {524288, 75712});
}

TEST_CASE("small and empty files are one block in both lines") {
  for (auto line : {corestore::DriveLine::V10_8, corestore::DriveLine::V10_21}) {
    TempDir dir;
    auto store = corestore::Corestore::open(dir.path());
    REQUIRE(store.ok());
    auto drive = drive::Drive::open_own((*store)->namespace_("drive"), line);
    REQUIRE(drive.ok());
    REQUIRE((*drive)->write_file("/small", pattern(1000), drive::Stat{}).ok());
    REQUIRE((*drive)->write_file("/empty", Bytes{}, drive::Stat{}).ok());
    CHECK((*drive)->lstat("/small")->blocks == 1);
    CHECK((*drive)->lstat("/empty")->blocks == 1);
    CHECK((*drive)->lstat("/empty")->size == 0);
  }
}

TEST_CASE("a file written from a source is asked for in batches and split like one from memory") {
  TempDir dir;
  auto store = corestore::Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto drive = drive::Drive::open_own((*store)->namespace_("drive"), corestore::DriveLine::V10_21);
  REQUIRE(drive.ok());
  const size_t batch = drive::Drive::kMaxBlockSize * drive::Drive::kAppendBatchBlocks;
  const Bytes data = pattern(2 * batch + 1000);
  std::vector<std::pair<uint64_t, size_t>> asked;
  auto source = [&](uint64_t offset, size_t length) -> Result<ByteView> {
    asked.emplace_back(offset, length);
    return ByteView(data).subspan(static_cast<size_t>(offset), length);
  };
  REQUIRE((*drive)->write_file("/streamed", data.size(), source, drive::Stat{}).ok());
  CHECK(asked == std::vector<std::pair<uint64_t, size_t>>{{0, batch}, {batch, batch}, {2 * batch, 1000}});
  REQUIRE((*drive)->write_file("/whole", data, drive::Stat{}).ok());
  auto streamed = (*drive)->lstat("/streamed");
  auto whole = (*drive)->lstat("/whole");
  REQUIRE((streamed.ok() && whole.ok()));
  CHECK(streamed->blocks == 2 * drive::Drive::kAppendBatchBlocks + 1);
  CHECK(streamed->blocks == whole->blocks);
  CHECK((*drive)->read_file("/streamed").value() == data);

  // A source that fails (a staging file that cannot be read) leaves the old entry in place.
  auto failing = [](uint64_t, size_t) -> Result<ByteView> { return Error::io(EIO, "cannot read"); };
  auto failed = (*drive)->write_file("/whole", data.size(), failing, drive::Stat{});
  REQUIRE(!failed.ok());
  CHECK(failed.error().code() == Errc::Io);
  CHECK((*drive)->read_file("/whole").value() == data);
  // A source handing back fewer bytes than asked is refused.
  auto short_source = [&](uint64_t, size_t) -> Result<ByteView> { return ByteView(data).subspan(0, 10); };
  CHECK((*drive)->write_file("/short", 100, short_source, drive::Stat{}).error().code() == Errc::InvalidArgument);
  CHECK((*drive)->lstat("/short").error().code() == Errc::NotFound);
}

TEST_CASE("mknod writes a FIFO or device once, without content; reading one is no file") {
  test::StoreFixture fixture;
  auto drive = fixture.own("drive");
  drive::Drive& d = *drive;
  const uint64_t content_before = d.content()->length();
  drive::Stat device =
      drive::Stat::special(drive::kModeBlockDevice, 1000, 0640, drive::DeviceNumber{8, 1});
  device.uid = 1000;
  REQUIRE(d.mknod("/disk", device).ok());
  REQUIRE(d.mknod("/fifo", drive::Stat::special(drive::kModeFifo, 1000, 0600)).ok());
  CHECK(d.content()->length() == content_before);  // no content block
  auto st = d.lstat("/disk");
  REQUIRE(st.ok());
  CHECK(*st == device);
  CHECK(d.lstat("/fifo")->kind() == drive::EntryKind::Other);
  CHECK(d.mknod("/disk", device).error().code() == Errc::Exists);
  CHECK(d.mknod("/file", drive::Stat::file(1000)).error().code() == Errc::InvalidArgument);
  CHECK(d.read("/fifo", 0, 10).error().code() == Errc::InvalidArgument);
  REQUIRE(d.mkdir("/dir").ok());
  CHECK(d.read("/dir", 0, 10).error().code() == Errc::IsDir);
}

TEST_CASE("adding or removing an entry stamps its directory in the same batch, if it has a node") {
  test::StoreFixture fixture;
  auto drive = fixture.own("drive");
  drive::Drive& d = *drive;
  const uint64_t before = drive::clock_ms();
  REQUIRE(d.mkdir("/dir", 0).ok());
  CHECK(d.lstat("/dir")->mode == 040000);  // permissions 0 kept
  // The directory's times set far back, then each change moves them to now; each change is
  // one more node (its own and the directory's).
  auto old_times = [&]() {
    drive::Stat st = *d.lstat("/dir");
    st.mtime_ms = st.ctime_ms = 1;
    REQUIRE(d.put_stat("/dir", st).ok());
  };
  auto stamped = [&](const char* what, const std::function<Status()>& change, uint64_t nodes) {
    INFO(what);
    old_times();
    const uint64_t version = d.version();
    REQUIRE(change().ok());
    CHECK(d.version() == version + nodes);
    const drive::Stat st = *d.lstat("/dir");
    CHECK(st.mtime_ms >= before);
    CHECK(st.ctime_ms == st.mtime_ms);
  };
  stamped("mkdir", [&] { return d.mkdir("/dir/sub"); }, 2);
  stamped("symlink", [&] { return d.symlink("sub", "/dir/link"); }, 2);
  const drive::Stat fifo = drive::Stat::special(drive::kModeFifo, 1, 0);
  stamped("mknod", [&] { return d.mknod("/dir/fifo", fifo); }, 2);
  stamped("a new file", [&] { return d.write_file("/dir/f", Bytes{1, 2}, drive::Stat{}); }, 2);
  stamped("unlink", [&] { return d.unlink("/dir/link"); }, 2);
  stamped("rmdir", [&] { return d.rmdir("/dir/sub"); }, 2);
  stamped("stamp_parents", [&] { return d.stamp_parents({"/dir/f", "/dir/fifo"}); }, 1);
  // Rewriting a file, a metadata change, or a step that asks to keep them: times stay.
  old_times();
  REQUIRE(d.write_file("/dir/f", Bytes{3}, drive::Stat{}).ok());
  REQUIRE(d.put_stat("/dir/fifo", *d.lstat("/dir/fifo")).ok());
  REQUIRE(d.unlink("/dir/fifo", drive::ParentTimes::Keep).ok());
  CHECK(d.lstat("/dir")->mtime_ms == 1);
  // A directory without a node of its own (written without mkdir) stays without one; so does
  // the root.
  REQUIRE(d.write_file("/implicit/a", Bytes{1}, drive::Stat{}).ok());
  const uint64_t version = d.version();
  REQUIRE(d.write_file("/implicit/b", Bytes{1}, drive::Stat{}).ok());
  REQUIRE(d.write_file("/top", Bytes{1}, drive::Stat{}).ok());
  CHECK(d.version() == version + 2);
}

TEST_CASE("subdirectory_count counts directories below a directory, up to a limit") {
  test::StoreFixture fixture;
  auto drive = fixture.own("drive");
  drive::Drive& d = *drive;
  REQUIRE(d.mkdir("/d").ok());
  CHECK(d.subdirectory_count("/d", 100) == uint64_t{0});
  REQUIRE(d.mkdir("/d/a").ok());
  REQUIRE(d.mkdir("/d/a/deeper").ok());
  REQUIRE(d.write_file("/d/implicit/x", Bytes{1}, drive::Stat{}).ok());  // a directory too
  REQUIRE(d.write_file("/d/file", Bytes{1}, drive::Stat{}).ok());
  REQUIRE(d.symlink("a", "/d/link").ok());
  CHECK(d.subdirectory_count("/d", 100) == uint64_t{2});
  CHECK(d.subdirectory_count("/", 100) == uint64_t{1});
  CHECK_FALSE(d.subdirectory_count("/d", 2).has_value());  // more entries than that
}
