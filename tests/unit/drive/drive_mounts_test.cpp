// Drive mounts (hyperdrive.md §9): paths below a mount point read and write the mounted drive,
// nested mounts, pinned versions, a drive mounted inside itself (Loop, never a hang), unmount,
// the mount list, and the cross-drive check renames use.
#include "drive/drive.hpp"
#include "drive/mount_record.hpp"

#include <doctest/doctest.h>

#include "store_fixture.hpp"

using namespace hypermount;
using hypermount::test::text;

namespace {

struct ThreeDrives : test::StoreFixture {
  std::unique_ptr<drive::Drive> outer = own("outer"), middle = own("middle"), inner = own("inner");
};

}  // namespace

TEST_CASE("a mounted drive is read and written through the mount point") {
  ThreeDrives t;
  REQUIRE(t.middle->write_file("/inside.txt", text("in middle"), {}).ok());
  REQUIRE(t.outer->mount("/a/mnt", t.middle->key()).ok());

  auto point = t.outer->lstat("/a/mnt");
  REQUIRE(point.ok());
  CHECK(point->is_directory());
  REQUIRE(point->mount.has_value());
  CHECK(point->mount->key == t.middle->key());

  auto listing = t.outer->readdir("/a/mnt");
  REQUIRE(listing.ok());
  REQUIRE(listing->size() == 1);
  CHECK((*listing)[0].name == "inside.txt");
  auto read = t.outer->read_file("/a/mnt/inside.txt");
  REQUIRE(read.ok());
  CHECK(*read == text("in middle"));

  // A write through the mount lands in the mounted drive; the outer drive does not grow.
  uint64_t outer_version = t.outer->version();
  REQUIRE(t.outer->write_file("/a/mnt/new.txt", text("through"), {}).ok());
  CHECK(t.outer->version() == outer_version);
  auto direct = t.middle->read_file("/new.txt");
  REQUIRE(direct.ok());
  CHECK(*direct == text("through"));
  CHECK(t.outer->mkdir("/a/mnt/made").ok());
  CHECK(t.middle->lstat("/made").ok());
  CHECK(t.outer->unlink("/a/mnt/new.txt").ok());
  CHECK(t.middle->lstat("/new.txt").error().code() == Errc::NotFound);

  // The mount point is not a plain directory.
  CHECK(t.outer->rmdir("/a/mnt").error().code() == Errc::Busy);
  CHECK(t.outer->unlink("/a/mnt").error().code() == Errc::IsDir);
  CHECK(t.outer->mount("/a/mnt", t.inner->key()).error().code() == Errc::Exists);
  CHECK(t.outer->same_drive("/a/x", "/b").ok());
  CHECK(t.outer->same_drive("/a/mnt/inside.txt", "/a/mnt/made/y").ok());
  CHECK(t.outer->same_drive("/a/x", "/a/mnt/x").error().code() == Errc::CrossDevice);
}

TEST_CASE("nested mounts, the mount list and unmount") {
  ThreeDrives t;
  REQUIRE(t.inner->write_file("/deep.txt", text("deepest"), {}).ok());
  REQUIRE(t.outer->mount("/m", t.middle->key()).ok());
  // Mounting below a mount point writes the records into the mounted drive (§9.3).
  REQUIRE(t.outer->mount("/m/n", t.inner->key()).ok());
  CHECK(t.middle->lstat("/n").ok());
  auto read = t.outer->read_file("/m/n/deep.txt");
  REQUIRE(read.ok());
  CHECK(*read == text("deepest"));

  auto mounts = t.outer->mounts(true);
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 2);
  CHECK((*mounts)[0].path == "/m");
  CHECK((*mounts)[0].key == t.middle->key());
  CHECK((*mounts)[1].path == "/m/n");
  CHECK((*mounts)[1].key == t.inner->key());
  auto shallow = t.outer->mounts(false);
  REQUIRE(shallow.ok());
  CHECK(shallow->size() == 1);

  REQUIRE(t.outer->unmount("/m/n").ok());
  CHECK(t.outer->lstat("/m/n").error().code() == Errc::NotFound);
  CHECK(t.inner->read_file("/deep.txt").ok());  // the drive itself is untouched
  CHECK(t.outer->unmount("/m/inside").error().code() == Errc::NotFound);
  REQUIRE(t.outer->mkdir("/plain").ok());
  CHECK(t.outer->unmount("/plain").error().code() == Errc::InvalidArgument);
}

TEST_CASE("a pinned mount shows the mounted drive at that version, read-only") {
  ThreeDrives t;
  REQUIRE(t.middle->write_file("/old.txt", text("old"), {}).ok());
  uint64_t pinned = t.middle->version();
  REQUIRE(t.middle->write_file("/new.txt", text("new"), {}).ok());
  REQUIRE(t.outer->mount("/v", t.middle->key(), pinned).ok());
  CHECK(t.outer->read_file("/v/old.txt").ok());
  CHECK(t.outer->lstat("/v/new.txt").error().code() == Errc::NotFound);
  CHECK(t.outer->write_file("/v/x", text("x"), {}).error().code() == Errc::ReadOnly);
  auto point = t.outer->lstat("/v");
  REQUIRE(point.ok());
  REQUIRE(point->mount.has_value());
  CHECK(point->mount->version == pinned);
}

TEST_CASE("a drive mounted inside itself is an error, never a loop") {
  ThreeDrives t;
  REQUIRE(t.outer->write_file("/f", text("f"), {}).ok());
  // We refuse to make a cycle...
  CHECK(t.outer->mount("/self", t.outer->key()).error().code() == Errc::Loop);
  REQUIRE(t.outer->mount("/m", t.middle->key()).ok());
  CHECK(t.outer->mount("/m/back", t.outer->key()).error().code() == Errc::Loop);
  // ...and one written by another implementation (here: directly into the middle drive, which
  // cannot see that it is mounted in outer) ends with Loop when entered.
  REQUIRE(t.middle->mount("/back", t.outer->key()).ok());
  auto entered = t.outer->readdir("/m/back");
  REQUIRE_FALSE(entered.ok());
  CHECK(entered.error().code() == Errc::Loop);
  CHECK(t.outer->lstat("/m/back/f").error().code() == Errc::Loop);
  CHECK(t.outer->lstat("/m/back").ok());  // the mount point itself is still an entry
  CHECK(t.outer->read_file("/f").ok());   // everything else keeps working
  auto mounts = t.outer->mounts(true);
  REQUIRE(mounts.ok());
  CHECK(mounts->size() == 2);  // /m and /m/back, not followed further
}
