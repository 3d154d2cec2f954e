// POSIX views of Stats: struct stat fields from the vectors' lstat results, millisecond times,
// symlink sizes, and clamping of sizes off_t cannot hold.
#include "drive/posix_stat.hpp"

#include <doctest/doctest.h>

#include <limits>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::drive;

namespace {

Stat from_lstat(const nlohmann::json& j) {
  Stat st;
  st.mode = j["mode"];
  st.uid = j["uid"];
  st.gid = j["gid"];
  st.size = j["size"];
  st.blocks = j["blocks"];
  st.offset = j["offset"];
  st.byte_offset = j["byteOffset"];
  st.mtime_ms = j["mtime"];
  st.ctime_ms = j["ctime"];
  if (!j["linkname"].is_null()) st.linkname = j["linkname"].get<std::string>();
  return st;
}

}  // namespace

TEST_CASE("struct stat of the vectors' lstat results") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  for (const auto& item : v["reads"]["lstat"].items()) {
    const std::string& path = item.key();
    const nlohmann::json& j = item.value();
    if (j.contains("error")) continue;
    CAPTURE(path);
    Stat st = from_lstat(j);
    struct stat ps = to_posix_stat(st);
    CHECK(ps.st_mode == j["mode"].get<mode_t>());
    CHECK(S_ISDIR(ps.st_mode) == j["isDirectory"].get<bool>());
    CHECK(S_ISLNK(ps.st_mode) == j["isSymbolicLink"].get<bool>());
    CHECK(ps.st_uid == j["uid"].get<uid_t>());
    CHECK(ps.st_mtim.tv_sec == static_cast<time_t>(j["mtime"].get<uint64_t>() / 1000));
    CHECK(ps.st_ctim.tv_nsec == static_cast<long>(j["ctime"].get<uint64_t>() % 1000 * 1000000));
    CHECK(ps.st_atim.tv_sec == ps.st_mtim.tv_sec);
    CHECK(ps.st_nlink == 1);
    if (S_ISLNK(ps.st_mode)) {
      CHECK(ps.st_size == static_cast<off_t>(j["linkname"].get<std::string>().size()));
    } else {
      CHECK(ps.st_size == j["size"].get<off_t>());
    }
  }
  struct stat small = to_posix_stat(from_lstat(v["reads"]["lstat"]["/dir/small.txt"]));
  CHECK(small.st_size == 5);
  CHECK(small.st_blocks == 1);
  struct stat big = to_posix_stat(from_lstat(v["reads"]["lstat"]["/big.bin"]));
  CHECK(big.st_size == 600000);
  CHECK(big.st_blocks == 1172);  // ceil(600000 / 512) sectors, not the Stat's block count
}

TEST_CASE("times and sizes") {
  timespec ts = ms_to_timespec(1600000000123);
  CHECK(ts.tv_sec == 1600000000);
  CHECK(ts.tv_nsec == 123000000);
  CHECK(timespec_to_ms(ts) == 1600000000123);
  CHECK(timespec_to_ms(timespec{5, 999999999}) == 5999);
  CHECK(timespec_to_ms(timespec{-1, 0}) == 0);

  Stat huge = Stat::file(0);
  huge.size = std::numeric_limits<uint64_t>::max();
  struct stat ps = to_posix_stat(huge);
  CHECK(ps.st_size == std::numeric_limits<off_t>::max());
  CHECK(ps.st_blocks > 0);
  Stat empty = Stat::file(0);
  CHECK(to_posix_stat(empty).st_blocks == 0);
}
