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

TEST_CASE("inode table: a dropped path gets a new inode; rename over a dropped target") {
  InodeTable t;
  uint64_t old_file = t.lookup("/f");
  t.drop_path("/f");  // removed: the kernel may still hold the inode
  CHECK(t.path_of(old_file) == "/f");
  CHECK_FALSE(t.find("/f"));
  uint64_t new_file = t.lookup("/f");
  CHECK(new_file != old_file);
  t.forget(old_file, 1);  // forgetting the old inode leaves the new entry alone
  CHECK(t.find("/f") == new_file);
  CHECK(t.path_of(new_file) == "/f");

  uint64_t src = t.lookup("/tmp.txt");
  t.drop_path("/f");  // replaced by a rename
  t.rename("/tmp.txt", "/f");
  CHECK(t.find("/f") == src);
  CHECK(t.path_of(src) == "/f");
  CHECK_FALSE(t.find("/tmp.txt"));
  t.drop_path("/");
  CHECK(t.find("/") == InodeTable::kRoot);
}
