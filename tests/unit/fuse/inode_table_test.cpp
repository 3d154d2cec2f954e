// Inode numbers: one per file while the kernel holds it (moved on rename, kept nameless after
// removal), freed on forget, and the same number again for an unchanged entry looked up anew.
#include "fuse/inode_table.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace hypermount::fuse;

TEST_CASE("inode table: lookups, forget and rename") {
  InodeTable t;
  CHECK(t.path_of(InodeTable::kRoot) == "/");
  uint64_t a = t.lookup("/a", 7);
  CHECK(a != InodeTable::kRoot);
  CHECK(t.lookup("/a", 7) == a);
  CHECK(t.lookup("/a", 8) == a);  // known by its path: a changed entry keeps its inode
  uint64_t b = t.lookup("/a/b", 9);
  t.forget(a, 2);
  CHECK(t.path_of(a) == "/a");  // still one lookup left
  t.rename("/a", "/c");
  CHECK(t.path_of(a) == "/c");
  CHECK(t.path_of(b) == "/c/b");
  CHECK(t.lookup("/c/b", 9) == b);
  t.forget(b, 2);
  CHECK_FALSE(t.known(b));
  CHECK_FALSE(t.path_of(b));
  t.forget(InodeTable::kRoot, 100);
  CHECK(t.path_of(InodeTable::kRoot) == "/");
  CHECK(InodeTable::join("/", "x") == "/x");
  CHECK(InodeTable::join("/x", "y") == "/x/y");
}

TEST_CASE("inode table: an unchanged entry gets its number back after the kernel forgot it") {
  InodeTable t;
  uint64_t first = t.lookup("/dir/file", 42);
  t.forget(first, 1);
  CHECK_FALSE(t.known(first));
  CHECK(t.number_for("/dir/file", 42) == first);
  CHECK(t.lookup("/dir/file", 42) == first);
  t.forget(first, 1);
  // Another table (a new mount) numbers the same entry the same way.
  InodeTable other;
  CHECK(other.lookup("/dir/file", 42) == first);
  // A changed entry, or another path, most likely gets another number.
  CHECK(t.lookup("/dir/file", 43) != first);
  CHECK(t.lookup("/dir/other", 42) != first);
}

TEST_CASE("inode table: a removed file keeps its inode nameless; a new file there gets another") {
  InodeTable t;
  uint64_t old_file = t.lookup("/f", 1);
  t.drop_path("/f");  // removed: the kernel may still hold the inode (an open file)
  CHECK(t.known(old_file));
  CHECK_FALSE(t.path_of(old_file));
  CHECK_FALSE(t.find("/f"));
  // Even an entry that looks the same (same identity) gets a number no live inode has.
  uint64_t new_file = t.lookup("/f", 1);
  CHECK(new_file != old_file);
  t.forget(old_file, 1);  // forgetting the old inode leaves the new entry alone
  CHECK(t.find("/f") == new_file);
  CHECK(t.path_of(new_file) == "/f");
  t.drop_path("/");
  CHECK(t.find("/") == InodeTable::kRoot);
}

TEST_CASE("inode table: rename over a file keeps the moved inode, the replaced one lives on nameless") {
  InodeTable t;
  uint64_t replaced = t.lookup("/f", 1);
  uint64_t moved = t.lookup("/tmp.txt", 2);
  t.drop_path("/f");  // replaced by the rename
  t.rename("/tmp.txt", "/f");
  CHECK(t.find("/f") == moved);
  CHECK(t.path_of(moved) == "/f");
  CHECK_FALSE(t.find("/tmp.txt"));
  CHECK(t.known(replaced));
  CHECK_FALSE(t.path_of(replaced));
  t.forget(replaced, 1);
  CHECK(t.find("/f") == moved);
}

TEST_CASE("inode table: a rename onto a known path not dropped first leaves the old inode nameless") {
  InodeTable t;
  uint64_t old_ino = t.lookup("/d/x", 1);
  uint64_t moved = t.lookup("/e/x", 2);
  t.rename("/e", "/d");
  CHECK(t.find("/d/x") == moved);
  CHECK_FALSE(t.path_of(old_ino));
  t.forget(moved, 1);  // the name goes with the moved inode; the old one stays nameless
  CHECK_FALSE(t.find("/d/x"));
  CHECK_FALSE(t.path_of(old_ino));
  CHECK(t.known(old_ino));
}

TEST_CASE("inode table: numbers are distinct, 32-bit, never 0, the root's or the unknown one") {
  InodeTable t;
  std::set<uint64_t> seen{InodeTable::kRoot};
  for (int i = 0; i < 5000; ++i) {
    uint64_t ino = t.lookup("/n" + std::to_string(i % 100), static_cast<uint64_t>(i));
    if (i >= 100) t.drop_path("/n" + std::to_string(i % 100));
    CHECK(ino > InodeTable::kRoot);
    CHECK(ino < InodeTable::kUnknownIno);
    seen.insert(ino);
  }
  CHECK(seen.size() == t.size());
}

TEST_CASE("inode table: a file written or renamed while known keeps its number after a forget") {
  InodeTable t;
  uint64_t f = t.lookup("/f", 1);
  CHECK(t.lookup("/f", 2) == f);  // written: a new identity, the same inode
  t.forget(f, 2);
  CHECK(t.lookup("/f", 2) == f);  // remembered as last seen
  t.rename("/f", "/g");
  t.forget(f, 1);
  CHECK(t.number_for("/g", 2) == f);
  CHECK(t.lookup("/g", 2) == f);
  t.forget(f, 1);
  CHECK(t.lookup("/g", 3) != f);  // changed while forgotten: another file as far as we know
}

TEST_CASE("inode table: only the last kRemembered forgotten inodes are remembered") {
  InodeTable t;
  uint64_t first = t.lookup("/first", 1);
  CHECK(t.lookup("/first", 2) == first);
  t.forget(first, 2);
  for (size_t i = 0; i < InodeTable::kRemembered; ++i) {
    std::string path = "/p" + std::to_string(i);
    t.forget(t.lookup(path, 5), 1);
  }
  // Its number now comes from its path and identity alone.
  InodeTable fresh;
  CHECK(fresh.number_for("/first", 2) != first);
  CHECK(t.number_for("/first", 2) == fresh.number_for("/first", 2));
  CHECK(t.size() == 1);  // the root
}
