// Corestore: the cores a store creates land in the JS folders with the JS key/name files
// (vectors), stores laid out by JS (empty secret_key, random names) reopen writable, replicas
// stay read-only, and bad name files are refused.
#include "corestore/corestore.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "corestore/drive_cores.hpp"
#include "corestore/layout.hpp"
#include "temp_dir.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::corestore;
using hypermount::test::TempDir;

namespace {

Bytes hex(const nlohmann::json& j) { return *from_hex(j.get<std::string>()); }

crypto::PublicKey key_of(const nlohmann::json& core) {
  return *array_from_hex<32>(core["publicKey"].get<std::string>());
}

// A store at `dir` whose master key is the vectors' one.
std::unique_ptr<Corestore> vector_store(const TempDir& dir, const nlohmann::json& v) {
  test::write_file_bytes(dir / "master_key", hex(v["corestore"]["files"]["master_key"]["hex"]));
  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  return std::move(store).value();
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// The key and name files of `core` (a vectors entry) are where and what JS wrote.
void check_files(const TempDir& dir, const nlohmann::json& v, const nlohmann::json& core) {
  const std::string folder = core["storageFolder"].get<std::string>();
  const auto& files = v["corestore"]["files"];
  CHECK(test::read_file_bytes(dir / folder + "/key") == hex(files[folder + "/key"]["hex"]));
  CHECK(test::read_file_bytes(dir / folder + "/name") == hex(core["nameFileHex"]));
  // Derived cores keep no secret key (JS leaves at most an empty file).
  if (exists(dir / folder + "/secret_key")) {
    CHECK(test::read_file_bytes(dir / folder + "/secret_key").empty());
  }
}

}  // namespace

TEST_CASE("default and namespaced cores match the JS store") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  TempDir dir;
  auto store = vector_store(dir, v);

  auto metadata = store->default_core();
  REQUIRE(metadata.ok());
  CHECK((*metadata)->writable());
  CHECK((*metadata)->key() == key_of(v["drive"]["metadata"]));
  CHECK((*metadata)->dir() == dir / v["drive"]["metadata"]["storageFolder"].get<std::string>());
  check_files(dir, v, v["drive"]["metadata"]);
  CHECK_FALSE(exists(dir / v["drive"]["metadata"]["storageFolder"].get<std::string>() +
                     "/secret_key"));

  auto b = drive_metadata_core(store->namespace_(v["driveB"]["namespace"].get<std::string>()));
  REQUIRE(b.ok());
  CHECK((*b)->key() == key_of(v["driveB"]["metadata"]));
  check_files(dir, v, v["driveB"]["metadata"]);

  // The same core is handed out again, not reopened.
  auto again = store->root_namespace().default_core();
  REQUIRE(again.ok());
  CHECK(again->get() == metadata->get());
}

TEST_CASE("hyperdrive 10.21 content core is derived from the metadata key") {
  auto v = test::load_vectors("hyperdrive-10.21.0.json");
  TempDir dir;
  crypto::PublicKey content_key{};
  {
    auto store = vector_store(dir, v);
    auto ns = store->root_namespace();
    auto metadata = drive_metadata_core(ns);
    REQUIRE(metadata.ok());
    auto content = create_drive_content_core(ns, (*metadata)->key(), DriveLine::V10_21);
    REQUIRE(content.ok());
    CHECK((*content)->key() == key_of(v["drive"]["content"]));
    CHECK((*content)->writable());
    check_files(dir, v, v["drive"]["content"]);
    const char* block = "hello";
    REQUIRE((*content)->append({as_bytes(block)}).ok());
    content_key = (*content)->key();

    auto b_ns = store->namespace_("b");
    auto b_meta = drive_metadata_core(b_ns);
    REQUIRE(b_meta.ok());
    auto b_content = create_drive_content_core(b_ns, (*b_meta)->key(), DriveLine::V10_21);
    REQUIRE(b_content.ok());
    CHECK((*b_content)->key() == key_of(v["driveB"]["content"]));
    check_files(dir, v, v["driveB"]["content"]);
  }
  // Reopened by key (what a drive does after reading metadata block 0): writable again.
  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto content = open_drive_content_core((*store)->root_namespace(), content_key);
  REQUIRE(content.ok());
  CHECK((*content)->writable());
  CHECK((*content)->length() == 1);
}

TEST_CASE("a JS-written 10.8 content core (random name, empty secret_key) reopens writable") {
  REQUIRE(crypto::init());
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  const auto& content = v["drive"]["content"];
  TempDir dir;
  test::write_file_bytes(dir / "master_key", hex(v["corestore"]["files"]["master_key"]["hex"]));
  // Lay the folder out the way JS corestore 5.2 leaves it: key, name, an empty secret_key.
  const std::string folder = dir / content["storageFolder"].get<std::string>();
  const Bytes name_file = hex(content["nameFileHex"]);
  {
    MasterKey master(*array_from_hex<32>(v["corestore"]["masterKeyHex"].get<std::string>()));
    auto name = decode_name_file(name_file);
    REQUIRE(name.has_value());
    auto created = core::Core::create(folder, derive_key_pair(master, *name), false);
    REQUIRE(created.ok());
    REQUIRE((*created)->append({as_bytes("hello world\n")}).ok());
  }
  test::write_file_bytes(folder + "/name", name_file);
  test::write_file_bytes(folder + "/secret_key", {});

  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto core = (*store)->get(key_of(content));
  REQUIRE(core.ok());
  CHECK((*core)->writable());
  CHECK((*core)->length() == 1);
  CHECK((*core)->get(0).value() == Bytes(as_bytes("hello world\n").begin(),
                                          as_bytes("hello world\n").end()));
  REQUIRE((*core)->append({as_bytes("more")}).ok());
  CHECK((*store)->has_core(crypto::discovery_key(key_of(content))));
}

TEST_CASE("random-named cores, replicas and explicit key pairs across reopen") {
  REQUIRE(crypto::init());
  TempDir dir;
  crypto::PublicKey random_key{}, replica_key{}, pair_key{};
  crypto::KeyPair explicit_pair = crypto::random_key_pair();
  {
    auto store = Corestore::open(dir.path());
    REQUIRE(store.ok());
    CHECK(test::read_file_bytes(dir / "master_key").size() == 32);

    auto random = (*store)->create_random();
    REQUIRE(random.ok());
    CHECK((*random)->writable());
    random_key = (*random)->key();
    Bytes name_file = test::read_file_bytes((*random)->dir() + "/name");
    CHECK(name_file.size() == 33);
    CHECK(name_file[0] == 0x20);
    CHECK_FALSE(exists((*random)->dir() + "/secret_key"));

    replica_key = crypto::random_key_pair().public_key;
    auto replica = (*store)->get(replica_key);
    REQUIRE(replica.ok());
    CHECK_FALSE((*replica)->writable());
    CHECK((*replica)->dir() == (*store)->core_dir(crypto::discovery_key(replica_key)));
    CHECK(test::read_file_bytes((*replica)->dir() + "/key") ==
          Bytes(replica_key.begin(), replica_key.end()));
    CHECK_FALSE(exists((*replica)->dir() + "/name"));

    auto with_pair = (*store)->get_with_key_pair(explicit_pair);
    REQUIRE(with_pair.ok());
    CHECK((*with_pair)->writable());
    pair_key = (*with_pair)->key();
    CHECK(test::read_file_bytes((*with_pair)->dir() + "/secret_key").size() == 64);
    CHECK_FALSE(exists((*with_pair)->dir() + "/name"));
    CHECK((*store)->open_cores().size() == 3);
  }
  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto random = (*store)->get(random_key);
  REQUIRE(random.ok());
  CHECK((*random)->writable());
  auto replica = (*store)->get_by_discovery_key(crypto::discovery_key(replica_key));
  REQUIRE(replica.ok());
  CHECK((*replica)->key() == replica_key);
  CHECK_FALSE((*replica)->writable());
  auto with_pair = (*store)->get(pair_key);
  REQUIRE(with_pair.ok());
  CHECK((*with_pair)->writable());

  auto missing = (*store)->get_by_discovery_key(crypto::discovery_key(crypto::random_key_pair().public_key));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Errc::NotFound);
}

TEST_CASE("a replica folder becomes writable once its name is asked for") {
  TempDir dir;
  crypto::PublicKey key{};
  {
    auto store = Corestore::open(dir.path());
    REQUIRE(store.ok());
    key = (*store)->derive_key_pair(as_bytes("later")).public_key;
    auto replica = (*store)->get(key);
    REQUIRE(replica.ok());
    CHECK_FALSE((*replica)->writable());
  }
  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto named = (*store)->named("later");
  REQUIRE(named.ok());
  CHECK((*named)->writable());
  CHECK(test::read_file_bytes((*named)->dir() + "/name") == *from_hex("056c61746572"));
}

TEST_CASE("a name file that derives another core is refused") {
  TempDir dir;
  crypto::PublicKey key{};
  std::string folder;
  {
    auto store = Corestore::open(dir.path());
    REQUIRE(store.ok());
    auto core = (*store)->named("right");
    REQUIRE(core.ok());
    key = (*core)->key();
    folder = (*core)->dir();
  }
  test::write_file_bytes(folder + "/name", encode_name_file(as_bytes("wrong")));
  auto store = Corestore::open(dir.path());
  REQUIRE(store.ok());
  auto core = (*store)->get(key);
  REQUIRE_FALSE(core.ok());
  CHECK(core.error().code() == Errc::Corrupt);

  // An unreadable name file is ignored, as JS ignores it: the core opens read-only.
  test::write_file_bytes(folder + "/name", *from_hex("09ff"));
  auto store2 = Corestore::open(dir.path());
  REQUIRE(store2.ok());
  auto read_only = (*store2)->get(key);
  REQUIRE(read_only.ok());
  CHECK_FALSE((*read_only)->writable());
}
