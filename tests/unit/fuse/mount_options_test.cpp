// The mount option table: FUSE and engine options land in the config, fstab-only options are
// ignored, and anything unknown or malformed is refused with its name.
#include "fuse/mount_options.hpp"

#include <doctest/doctest.h>

using namespace hypermount;
using namespace hypermount::fuse;

TEST_CASE("mount options: a full fstab option list") {
  MountConfig c;
  REQUIRE(apply_mount_options(
      "ro,_netdev,nofail,x-systemd.automount,allow_other,uid=1000,gid=100,umask=022,"
      "entry_timeout=2.5,store=/var/lib/hm,protocol=7,peer=127.0.0.1:9000,peer=[::1]:9001,"
      "version=12,fetch_timeout=5,logfile=/tmp/hm.log",
      c));
  CHECK(c.fuse.read_only);
  CHECK(c.fuse.allow_other);
  CHECK(c.fuse.uid == 1000u);
  CHECK(c.fuse.gid == 100u);
  CHECK(c.fuse.umask == 022u);
  CHECK(c.fuse.entry_timeout == doctest::Approx(2.5));
  CHECK(c.store == "/var/lib/hm");
  CHECK(c.protocol == "7");
  REQUIRE(c.peers.size() == 2);
  CHECK(c.peers[1] == "[::1]:9001");
  CHECK(c.version == 12u);
  CHECK(c.fetch_timeout == doctest::Approx(5.0));
  CHECK(c.logfile == "/tmp/hm.log");
}

TEST_CASE("mount options: refused with the option named") {
  MountConfig c;
  for (const char* bad : {"frobnicate", "uid=abc", "uid", "ro=1", "protocol=9", "peer=nohost",
                          "umask=9", "fetch_timeout=-1"}) {
    CAPTURE(bad);
    auto status = apply_mount_options(bad, c);
    REQUIRE_FALSE(status);
    CHECK(status.error().code() == Errc::InvalidArgument);
    std::string name = std::string(bad).substr(0, std::string(bad).find('='));
    CHECK(status.error().message().find(name) != std::string::npos);
  }
}

TEST_CASE("mount options: rw after ro wins, debug implies foreground") {
  MountConfig c;
  REQUIRE(apply_mount_options("ro,rw,debug", c));
  CHECK_FALSE(c.fuse.read_only);
  CHECK(c.foreground);
}

TEST_CASE("mount options: ro is remembered as asked for, so a writable drive stays read-only") {
  MountConfig c;
  CHECK_FALSE(c.ro_requested);
  REQUIRE(apply_mount_options("store=/s", c));
  CHECK_FALSE(c.ro_requested);
  REQUIRE(apply_mount_options("ro", c));
  CHECK(c.ro_requested);
  CHECK(c.fuse.read_only);
  REQUIRE(apply_mount_options("rw", c));
  CHECK_FALSE(c.ro_requested);
  CHECK_FALSE(c.fuse.read_only);
}
