// Inode numbers: stable per path while the kernel holds them, freed on forget, moved on rename.
#include "fuse/inode_table.hpp"

#include <doctest/doctest.h>

using namespace hypermount::fuse;

TEST_CASE("inode table: lookups, forget and rename") {
  InodeTable t;
  CHECK(t.path_of(InodeTable::kRoot) == "/");
  uint64_t a = t.lookup("/a");
  CHECK(a != InodeTable::kRoot);
  CHECK(t.lookup("/a") == a);
  uint64_t b = t.lookup("/a/b");
  t.forget(a, 1);
  CHECK(t.path_of(a) == "/a");  // still one lookup left
  t.rename("/a", "/c");
  CHECK(t.path_of(a) == "/c");
  CHECK(t.path_of(b) == "/c/b");
  CHECK(t.lookup("/c/b") == b);
  t.forget(b, 2);
  CHECK_FALSE(t.path_of(b));
  t.forget(InodeTable::kRoot, 100);
  CHECK(t.path_of(InodeTable::kRoot) == "/");
  CHECK(InodeTable::join("/", "x") == "/x");
  CHECK(InodeTable::join("/x", "y") == "/x/y");
}
