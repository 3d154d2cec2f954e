#include "drive/key_file.hpp"

#include <doctest/doctest.h>

using namespace hypermount;

TEST_CASE("key file: what is written reads back; damaged files are refused") {
  drive::DriveKeys keys;
  keys.metadata = {crypto::random_key_pair(), 7};
  keys.content = {crypto::random_key_pair(), 3};
  const std::string text = drive::format_key_file(keys);
  auto back = drive::parse_key_file(text);
  REQUIRE(back.ok());
  CHECK(back->metadata.pair.public_key == keys.metadata.pair.public_key);
  CHECK(back->metadata.pair.secret_key.bytes() == keys.metadata.pair.secret_key.bytes());
  CHECK(back->metadata.length == 7);
  CHECK(back->content.pair.public_key == keys.content.pair.public_key);
  CHECK(back->content.length == 3);

  CHECK(!drive::parse_key_file("").ok());
  CHECK(!drive::parse_key_file("hello\nworld\n").ok());
  std::string no_magic = text;
  no_magic.replace(no_magic.find("hypermount-keys 1"), 17, "hypermount-keys 9");
  CHECK(!drive::parse_key_file(no_magic).ok());
  // a secret key of another pair
  std::string swapped = text;
  const std::string other = to_hex(ByteView(crypto::random_key_pair().secret_key.bytes()));
  size_t at = swapped.find("drive-secret ") + 13;
  swapped.replace(at, other.size(), other);
  auto mismatch = drive::parse_key_file(swapped);
  REQUIRE(!mismatch.ok());
  CHECK(mismatch.error().message().find("does not belong") != std::string::npos);
  std::string bad_length = text;
  bad_length.replace(bad_length.find("drive-length 7"), 14, "drive-length x");
  CHECK(!drive::parse_key_file(bad_length).ok());
  CHECK(!drive::parse_key_file(std::string(drive::kMaxKeyFileSize + 1, 'a')).ok());
}
