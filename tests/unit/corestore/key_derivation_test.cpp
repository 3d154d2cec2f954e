// Corestore key derivation against the JS vectors of both reference lines: seeds, key pairs,
// discovery keys and name files of every core in hyperdrive-10.8.16.json / -10.21.0.json.
#include "corestore/key_derivation.hpp"

#include <doctest/doctest.h>

#include "corestore/layout.hpp"
#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::corestore;

namespace {

Bytes hex(const nlohmann::json& j) { return *from_hex(j.get<std::string>()); }

MasterKey vector_master_key(const nlohmann::json& v) {
  return MasterKey(*array_from_hex<32>(v["corestore"]["masterKeyHex"].get<std::string>()));
}

// A core entry of the vectors: publicKey, discoveryKey, storageFolder, nameFileHex and, for
// some, the full derivation.
void check_core(const MasterKey& master, const nlohmann::json& core) {
  auto name = decode_name_file(hex(core["nameFileHex"]));
  REQUIRE(name.has_value());
  crypto::KeyPair pair = derive_key_pair(master, *name);
  CHECK(to_hex(pair.public_key) == core["publicKey"].get<std::string>());
  crypto::DiscoveryKey dk = crypto::discovery_key(pair.public_key);
  CHECK(to_hex(dk) == core["discoveryKey"].get<std::string>());
  CHECK(core_folder(dk) == core["storageFolder"].get<std::string>());
  CHECK(encode_name_file(*name) == hex(core["nameFileHex"]));
  if (core.contains("derivation")) {
    const auto& d = core["derivation"];
    CHECK(to_hex(*name) == d["nameHex"].get<std::string>());
    CHECK(to_hex(derive_seed(master, *name)) == d["seedHex"].get<std::string>());
    CHECK(to_hex(pair.secret_key.bytes()) == d["secretKey"].get<std::string>());
    CHECK(to_hex(dk) == d["discoveryKey"].get<std::string>());
  }
}

}  // namespace

TEST_CASE("derived keys of every core in the vectors") {
  REQUIRE(crypto::init());
  for (const char* file : {"hyperdrive-10.8.16.json", "hyperdrive-10.21.0.json"}) {
    CAPTURE(file);
    auto v = test::load_vectors(file);
    MasterKey master = vector_master_key(v);
    SUBCASE("drive") {
      check_core(master, v["drive"]["metadata"]);
      check_core(master, v["drive"]["content"]);
    }
    SUBCASE("drive B in namespace b") {
      check_core(master, v["driveB"]["metadata"]);
      check_core(master, v["driveB"]["content"]);
    }
    SUBCASE("plain core") { check_core(master, v["plainCore"]); }
  }
}

TEST_CASE("every name file in the stored corestore derives the key beside it") {
  REQUIRE(crypto::init());
  for (const char* file : {"hyperdrive-10.8.16.json", "hyperdrive-10.21.0.json"}) {
    CAPTURE(file);
    auto v = test::load_vectors(file);
    MasterKey master = vector_master_key(v);
    const auto& files = v["corestore"]["files"];
    int checked = 0;
    for (const auto& item : files.items()) {
      const std::string& path = item.key();
      const nlohmann::json& f = item.value();
      if (path.size() < 5 || path.substr(path.size() - 5) != "/name") continue;
      CAPTURE(path);
      const std::string folder = path.substr(0, path.size() - 5);
      auto name = decode_name_file(hex(f["hex"]));
      REQUIRE(name.has_value());
      crypto::KeyPair pair = derive_key_pair(master, *name);
      CHECK(to_hex(pair.public_key) == files[folder + "/key"]["hex"].get<std::string>());
      CHECK(core_folder(crypto::discovery_key(pair.public_key)) == folder);
      ++checked;
    }
    CHECK(checked >= 5);
  }
}

TEST_CASE("names of the default core, namespaces and drive cores") {
  REQUIRE(crypto::init());
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  // The drive's metadata core is the root store's default core.
  CHECK(to_hex(as_bytes(kDefaultName)) ==
        v["drive"]["metadata"]["derivation"]["nameHex"].get<std::string>());
  // Drive B lives in namespace "b": its metadata core is named by the namespace.
  CHECK(namespace_name(std::nullopt, v["driveB"]["namespace"].get<std::string>()) ==
        v["driveB"]["metadata"]["derivation"]["nameUtf8"].get<std::string>());
  CHECK(namespace_name(std::string("b"), std::string_view("c")) == "b:c");
  const uint8_t binary[] = {0xab, 0x01};
  CHECK(namespace_name(std::nullopt, ByteView(binary)) == "ab01");
  CHECK(namespace_name(std::string("x"), ByteView(binary)) == "x:ab01");

  auto v21 = test::load_vectors("hyperdrive-10.21.0.json");
  auto metadata_key = *array_from_hex<32>(v21["drive"]["metadata"]["publicKey"].get<std::string>());
  CHECK(content_core_name(metadata_key) ==
        v21["drive"]["content"]["derivation"]["nameUtf8"].get<std::string>());
  auto b_key = *array_from_hex<32>(v21["driveB"]["metadata"]["publicKey"].get<std::string>());
  auto b_name = decode_name_file(hex(v21["driveB"]["content"]["nameFileHex"]));
  REQUIRE(b_name.has_value());
  CHECK(content_core_name(b_key) == std::string(as_chars(*b_name)));
}

TEST_CASE("name files are read as derived-key-storage reads them") {
  CHECK(encode_name_file(as_bytes("default")) == *from_hex("0764656661756c74"));
  CHECK(decode_name_file(*from_hex("0162")) == Bytes{'b'});
  // Shorter than 2 bytes: no name.
  CHECK_FALSE(decode_name_file(Bytes{}).has_value());
  CHECK_FALSE(decode_name_file(*from_hex("00")).has_value());
  // Length not covering exactly the rest of the file.
  CHECK_FALSE(decode_name_file(*from_hex("0262")).has_value());
  CHECK_FALSE(decode_name_file(*from_hex("016263")).has_value());
  // Unterminated varint.
  CHECK_FALSE(decode_name_file(*from_hex("ffff")).has_value());
  // A non-minimal length still counts (the JS varint decoder accepts it).
  CHECK(decode_name_file(*from_hex("810062")) == Bytes{'b'});
  // A 128-byte name has a two-byte length.
  Bytes long_name(128, 'x');
  Bytes file = encode_name_file(long_name);
  CHECK(file.size() == 130);
  CHECK(file[0] == 0x80);
  CHECK(file[1] == 0x01);
  CHECK(decode_name_file(file) == long_name);
}
