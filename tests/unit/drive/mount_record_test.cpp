// Mount records: the hidden `mounts/<path>` values of both vector files decode and re-encode
// byte for byte; mount-point flags match the vector nodes; malformed records are Corrupt.
#include "drive/mount_record.hpp"

#include <doctest/doctest.h>

#include <random>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::drive;

TEST_CASE("every mount record in the vectors round-trips") {
  for (const char* file : {"hyperdrive-10.8.16.json", "hyperdrive-10.21.0.json"}) {
    CAPTURE(file);
    auto v = test::load_vectors(file);
    int records = 0;
    for (const auto& op : v["operations"]) {
      for (const auto& b : op["metadataBlocks"]) {
        const auto& d = b["decoded"];
        if (!d.contains("mountRecord")) continue;
        const auto& j = d["mountRecord"];
        auto record = decode_mount_record(*from_hex(d["valueHex"].get<std::string>()));
        REQUIRE(record.ok());
        CHECK(to_hex(record->key) == j["key"].get<std::string>());
        CHECK(record->local_path == j["localPath"].get<std::string>());
        CHECK(record->version.value_or(0) == j["version"].get<uint64_t>());
        CHECK(record->remote_path.value_or("") == j["remotePath"].get<std::string>());
        CHECK_FALSE(record->hash.has_value());
        CHECK(to_hex(encode_mount_record(*record)) == d["valueHex"].get<std::string>());
        // The record sits under the hidden key mounts/<localPath>, flagged as a mount.
        CHECK(mount_record_key(record->local_path) == d["key"].get<std::string>());
        CHECK(d["hidden"].get<bool>());
        CHECK(is_mount_point(d["userFlags"].get<uint32_t>()));
        CHECK(record->pinned_version() ==
              (j["version"].get<uint64_t>() == 0 ? std::nullopt
                                                 : std::optional<uint64_t>(j["version"])));
        ++records;
      }
    }
    CHECK(records == 2);
  }
}

TEST_CASE("mount points are the visible nodes with user flags exactly 1") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  for (const auto& op : v["operations"]) {
    for (const auto& b : op["metadataBlocks"]) {
      const auto& d = b["decoded"];
      if (!d.contains("stat")) continue;
      CAPTURE(d["key"].get<std::string>());
      const bool drive_mount = !d["stat"]["mount"].is_null() && !d["stat"]["mount"]["hypercore"].get<bool>();
      CHECK(is_mount_point(d["userFlags"].get<uint32_t>()) == drive_mount);
    }
  }
  CHECK_FALSE(is_mount_point(0));
  CHECK_FALSE(is_mount_point(3));
}

TEST_CASE("malformed mount records are Corrupt") {
  auto corrupt = [](const std::string& h) {
    auto r = decode_mount_record(*from_hex(h));
    return !r.ok() && r.error().code() == Errc::Corrupt;
  };
  const std::string key = "0a20" + std::string(64, 'a');
  CHECK(corrupt(""));
  CHECK(corrupt(key));                      // no localPath
  CHECK(corrupt("1203616263"));             // no key
  CHECK(corrupt("0a0201021203616263"));     // 2-byte key
  CHECK(corrupt(key + "1205616263"));       // truncated string
  CHECK(corrupt(key + "120361626318"));     // truncated version
  auto ok = decode_mount_record(*from_hex(key + "1200"));
  REQUIRE(ok.ok());
  CHECK(ok->local_path.empty());

  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  Bytes real = *from_hex(v["operations"][25]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>());
  for (size_t n = 0; n < real.size(); ++n) {
    auto r = decode_mount_record(ByteView(real.data(), n));
    if (!r.ok()) CHECK(r.error().code() == Errc::Corrupt);
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    Bytes bytes = real;
    bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    auto r = decode_mount_record(bytes);
    if (!r.ok()) {
      CHECK(r.error().code() == Errc::Corrupt);
    } else {
      auto again = decode_mount_record(encode_mount_record(*r));
      REQUIRE(again.ok());
      CHECK(*again == *r);
    }
  }
}
