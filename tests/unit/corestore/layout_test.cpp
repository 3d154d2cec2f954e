// Corestore layout: discovery-key folders and the master_key file (created when missing or
// short, kept when present), checked against the JS vectors.
#include "corestore/layout.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "temp_dir.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::corestore;
using hypermount::test::TempDir;

TEST_CASE("core folders are <dk[0:2]>/<dk[2:4]>/<dk>") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  for (const auto* core : {&v["drive"]["metadata"], &v["drive"]["content"], &v["plainCore"]}) {
    auto dk = *array_from_hex<32>((*core)["discoveryKey"].get<std::string>());
    CHECK(core_folder(dk) == (*core)["storageFolder"].get<std::string>());
  }
}

TEST_CASE("master key file") {
  REQUIRE(crypto::init());
  TempDir dir;
  const std::string path = dir / "master_key";

  SUBCASE("kept when present (the vector store's key)") {
    auto v = test::load_vectors("hyperdrive-10.8.16.json");
    Bytes key = *from_hex(v["corestore"]["files"]["master_key"]["hex"].get<std::string>());
    test::write_file_bytes(path, key);
    auto loaded = load_or_create_master_key(dir.path());
    REQUIRE(loaded.ok());
    CHECK(Bytes(loaded->bytes().begin(), loaded->bytes().end()) == key);
    CHECK(test::read_file_bytes(path) == key);
  }
  SUBCASE("created with 32 random bytes when missing, then reused") {
    auto first = load_or_create_master_key(dir.path() + "/new-store");
    REQUIRE(first.ok());
    Bytes stored = test::read_file_bytes(dir.path() + "/new-store/master_key");
    CHECK(stored.size() == 32);
    CHECK(Bytes(first->bytes().begin(), first->bytes().end()) == stored);
    CHECK(stored != Bytes(32, 0));
    auto second = load_or_create_master_key(dir.path() + "/new-store");
    REQUIRE(second.ok());
    CHECK(second->bytes() == first->bytes());
  }
  SUBCASE("replaced when shorter than 32 bytes") {
    test::write_file_bytes(path, Bytes(10, 7));
    auto loaded = load_or_create_master_key(dir.path());
    REQUIRE(loaded.ok());
    Bytes stored = test::read_file_bytes(path);
    REQUIRE(stored.size() == 32);
    CHECK(Bytes(loaded->bytes().begin(), loaded->bytes().end()) == stored);
    CHECK(Bytes(stored.begin(), stored.begin() + 10) != Bytes(10, 7));
  }
  SUBCASE("a longer file keeps its first 32 bytes") {
    Bytes long_key(40);
    for (size_t i = 0; i < long_key.size(); ++i) long_key[i] = static_cast<uint8_t>(i);
    test::write_file_bytes(path, long_key);
    auto loaded = load_or_create_master_key(dir.path());
    REQUIRE(loaded.ok());
    CHECK(Bytes(loaded->bytes().begin(), loaded->bytes().end()) ==
          Bytes(long_key.begin(), long_key.begin() + 32));
  }
}

TEST_CASE("a new store is its owner's alone; a master key others could read is narrowed") {
  REQUIRE(crypto::init());
  TempDir dir;
  const std::string root = dir / "store";
  namespace fs = std::filesystem;
  auto others = fs::perms::group_all | fs::perms::others_all;
  REQUIRE(load_or_create_master_key(root).ok());
  CHECK((fs::status(root).permissions() & others) == fs::perms::none);
  CHECK((fs::status(root + "/master_key").permissions() & others) == fs::perms::none);

  // A store made before (or by JS, 0644): opened for writing, its key is narrowed to 0600.
  fs::permissions(root + "/master_key", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  auto again = load_or_create_master_key(root);
  REQUIRE(again.ok());
  CHECK(fs::status(root + "/master_key").permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write));
}
