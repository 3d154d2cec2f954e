#include "util/log.hpp"

#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <regex>
#include <sstream>

using namespace hypermount;

namespace {
std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("a log file gets timestamped lines and is opened again at its path on reopen") {
  test::TempDir dir;
  const std::string path = dir / "hm.log";
  REQUIRE(log::on_stderr());
  REQUIRE(log::to_file(path));
  CHECK_FALSE(log::on_stderr());
  log::set_level(log::Level::Info);
  log::info("cli", "first {}", 1);
  log::debug("cli", "below the level");
  const std::regex line(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} hypermount\[cli\] info: first 1\n)");
  CHECK(std::regex_match(text_of(path), line));

  REQUIRE(std::rename(path.c_str(), (dir / "hm.log.1").c_str()) == 0);
  log::warn("cli", "still to the moved file");
  REQUIRE(log::reopen());
  log::warn("cli", "to the new file");
  CHECK(text_of(dir / "hm.log.1").find("still to the moved file") != std::string::npos);
  const std::string reopened = text_of(path);
  CHECK(reopened.find("to the new file") != std::string::npos);
  CHECK(reopened.find("still") == std::string::npos);

  CHECK_FALSE(log::to_file(dir / "no-such-folder/hm.log"));
  log::error("cli", "the sink is unchanged after a failed open");
  CHECK(text_of(path).find("unchanged") != std::string::npos);
}
