// Paths and trie keys (hyperdrive.md §3): the reference's unixify cleanup, '.'/'..' resolution,
// the root as the empty key, and refusal of NUL bytes and escapes above the root.
#include "drive/path.hpp"

#include <doctest/doctest.h>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::drive;

namespace {

std::string key(std::string_view path) {
  auto k = path_to_key(path);
  REQUIRE(k.ok());
  return *k;
}

bool invalid(std::string_view path) {
  auto k = path_to_key(path);
  return !k.ok() && k.error().code() == Errc::InvalidArgument;
}

}  // namespace

TEST_CASE("unixify behaves like the JS module") {
  CHECK(unixify("/a//b/") == "/a/b");
  CHECK(unixify("\\a\\\\b") == "/a/b");
  CHECK(unixify("C:\\x\\y") == "/x/y");
  CHECK(unixify("http://x") == "/x");  // any run of letters before ':' is a "drive"
  CHECK(unixify("./a") == "a");
  CHECK(unixify("../a") == "../a");
  CHECK(unixify("a/") == "a/");    // strings of 2 characters keep their trailing '/'
  CHECK(unixify("ab/") == "ab");
  CHECK(unixify("//") == "/");
  CHECK(unixify("") == "");
  CHECK(unixify("small.txt") == "small.txt");
  CHECK(unixify("/a:b") == "/a:b");
}

TEST_CASE("paths map to the trie keys of the vectors") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  // Each operation's node key is the trie key of the path it names.
  CHECK(key("/dir") == v["operations"][1]["metadataBlocks"][0]["decoded"]["key"]);
  CHECK(key("/dir/small.txt") == v["operations"][2]["metadataBlocks"][0]["decoded"]["key"]);
  CHECK(key("/implicit/deep/x.txt") ==
        v["operations"][26]["metadataBlocks"][0]["decoded"]["key"]);
  CHECK(key("/a//b/") == "a/b");
  CHECK(key("/") == "");
  CHECK(key("") == "");
  CHECK(key("//") == "");
  CHECK(key("a") == "a");
  CHECK(key("a/") == "a");
  CHECK(key("\\dir\\small.txt") == "dir/small.txt");
  CHECK(key("/mounts") == "mounts");
  CHECK(*normalize_path("dir/small.txt") == "/dir/small.txt");
  CHECK(*normalize_path("/") == "/");
  CHECK(key_to_path("dir/small.txt") == "/dir/small.txt");
  CHECK(key_to_path("") == "/");
}

TEST_CASE("'.' and '..' are resolved, escapes and NUL bytes refused") {
  CHECK(key("/a/./b") == "a/b");
  CHECK(key("/a/../b") == "b");
  CHECK(key("/a/b/..") == "a");
  CHECK(key("/a/..") == "");
  CHECK(key("/.") == "");
  CHECK(key("/a/.../b") == "a/.../b");  // only exact '..' components climb
  CHECK(key("/..a/b..") == "..a/b..");
  CHECK(invalid("/.."));
  CHECK(invalid(".."));
  CHECK(invalid("/a/../../b"));
  CHECK(invalid("\\..\\x"));
  CHECK(invalid(std::string_view("/a\0b", 4)));
  auto err = path_to_key(std::string_view("/x\0", 3));
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().message().find("NUL") != std::string::npos);
}

TEST_CASE("a foreign drive's symlink targets stay inside the mount") {
  // descending targets are kept as written
  CHECK(confined_link_target("/a/l", "b/c") == "b/c");
  CHECK(confined_link_target("/l", "x") == "x");
  CHECK(confined_link_target("/a/l", "..x/y..") == "..x/y..");
  // absolute: the drive's root, reached up from the link's folder
  CHECK(confined_link_target("/a/b/l", "/etc/passwd") == "../../etc/passwd");
  CHECK(confined_link_target("/l", "/etc/passwd") == "etc/passwd");
  CHECK(confined_link_target("/a/l", "/") == "..");
  CHECK(confined_link_target("/l", "/") == ".");
  CHECK(confined_link_target("/l", "//x/./y/") == "x/y");
  // climbing: resolved in the drive, '..' at its root stays there
  CHECK(confined_link_target("/a/b/l", "../c") == "../../a/c");
  CHECK(confined_link_target("/a/l", "../../../../etc/shadow") == "../etc/shadow");
  CHECK(confined_link_target("/l", "..") == ".");
  CHECK(confined_link_target("/a/b/l", "x/../../../../y") == "../../y");
  // a '..' after a name that may itself be a symlink is resolved lexically, never by the kernel
  CHECK(confined_link_target("/a/l", "d/../../../x") == "../x");
}
