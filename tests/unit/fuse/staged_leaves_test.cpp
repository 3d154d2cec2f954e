#include "fuse/staged_leaves.hpp"

#include "fuse/staging_file.hpp"
#include "random_bytes.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

namespace hypermount::fuse {
namespace {

constexpr uint64_t kBlock = 4096;

// The hypercore 8 leaf hash computed here, apart from core::leaf_node: BLAKE2b-256 of the type
// byte 0, the length as u64be, then the bytes.
crypto::Hash expected_leaf(ByteView bytes) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  uint8_t header[9] = {0};
  for (int i = 0; i < 8; ++i) header[1 + i] = static_cast<uint8_t>(uint64_t(bytes.size()) >> (56 - 8 * i));
  crypto_generichash_update(&state, header, sizeof header);
  crypto_generichash_update(&state, bytes.data(), bytes.size());
  crypto::Hash hash;
  crypto_generichash_final(&state, hash.data(), hash.size());
  return hash;
}

using test::random_bytes;

struct Fixture {
  Fixture() {
    uv_loop_init(&loop);
    auto made = StagingFile::create(dir.path());
    REQUIRE(made.ok());
    file.emplace(std::move(*made));
    REQUIRE(file->hash_leaves_ahead(&loop, kBlock).ok());
  }
  ~Fixture() {
    file.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  void settle() { uv_run(&loop, UV_RUN_DEFAULT); }

  test::TempDir dir;
  uv_loop_t loop{};
  std::optional<StagingFile> file;
};

TEST_CASE("StagedLeaves: blocks a sequential writer fills are hashed on the pool") {
  Fixture f;
  Bytes data = random_bytes(3 * kBlock + 100, 1);
  for (size_t at = 0; at < data.size(); at += 1000) {
    REQUIRE(f.file->write(at, ByteView(data).subspan(at, std::min<size_t>(1000, data.size() - at))).ok());
  }
  f.settle();
  StagedLeaves& leaves = *f.file->leaves();
  for (uint64_t b = 0; b < 3; ++b) {
    auto hash = leaves.leaf_hash(b * kBlock, kBlock);
    REQUIRE(hash.has_value());
    CHECK(*hash == expected_leaf(ByteView(data).subspan(b * kBlock, kBlock)));
  }
  CHECK_FALSE(leaves.leaf_hash(3 * kBlock, 100).has_value());  // the short tail waits for hash_all
  CHECK_FALSE(leaves.leaf_hash(kBlock / 2, kBlock).has_value());  // not a block

  bool done = false;
  CHECK_FALSE(leaves.hash_all(data.size(), [&] { done = true; }));
  f.settle();
  CHECK(done);
  auto tail = leaves.leaf_hash(3 * kBlock, 100);
  REQUIRE(tail.has_value());
  CHECK(*tail == expected_leaf(ByteView(data).subspan(3 * kBlock, 100)));
  CHECK(leaves.hash_all(data.size(), [] { FAIL("nothing was missing"); }));
}

TEST_CASE("StagedLeaves: a rewrite or a cut drops the hashes of the blocks it changes") {
  Fixture f;
  Bytes data = random_bytes(4 * kBlock, 2);
  REQUIRE(f.file->write(0, data).ok());
  f.settle();
  StagedLeaves& leaves = *f.file->leaves();
  REQUIRE(leaves.leaf_hash(kBlock, kBlock).has_value());

  Bytes patch = random_bytes(10, 3);
  REQUIRE(f.file->write(kBlock + 5, patch).ok());  // block 1 changes, before its hash could be stale
  std::copy(patch.begin(), patch.end(), data.begin() + kBlock + 5);
  CHECK_FALSE(leaves.leaf_hash(kBlock, kBlock).has_value());
  CHECK(leaves.leaf_hash(0, kBlock).has_value());

  REQUIRE(f.file->resize(2 * kBlock + 7).ok());
  CHECK_FALSE(leaves.leaf_hash(2 * kBlock, kBlock).has_value());
  CHECK_FALSE(leaves.leaf_hash(3 * kBlock, kBlock).has_value());
  data.resize(2 * kBlock + 7);

  bool done = false;
  CHECK_FALSE(leaves.hash_all(data.size(), [&] { done = true; }));
  f.settle();
  CHECK(done);
  for (uint64_t b = 0; b * kBlock < data.size(); ++b) {
    const uint64_t length = std::min<uint64_t>(kBlock, data.size() - b * kBlock);
    auto hash = leaves.leaf_hash(b * kBlock, length);
    REQUIRE(hash.has_value());
    CHECK(*hash == expected_leaf(ByteView(data).subspan(b * kBlock, length)));
  }
}

TEST_CASE("StagedLeaves: a write while a block is on the pool wins over its hash") {
  Fixture f;
  Bytes data = random_bytes(2 * kBlock, 4);
  REQUIRE(f.file->write(0, data).ok());  // both blocks go to the pool now
  Bytes patch = random_bytes(kBlock, 5);
  REQUIRE(f.file->write(0, patch).ok());  // block 0 rewritten before the pool answered
  f.settle();
  StagedLeaves& leaves = *f.file->leaves();
  CHECK_FALSE(leaves.leaf_hash(0, kBlock).has_value());
  REQUIRE(leaves.leaf_hash(kBlock, kBlock).has_value());
  REQUIRE_FALSE(leaves.hash_all(2 * kBlock, [] {}));
  f.settle();
  auto first = leaves.leaf_hash(0, kBlock);
  REQUIRE(first.has_value());
  CHECK(*first == expected_leaf(patch));
}

TEST_CASE("StagedLeaves: closing the file with hashing in flight is safe") {
  Fixture f;
  Bytes data = random_bytes(8 * kBlock, 6);
  REQUIRE(f.file->write(0, data).ok());
  bool called = false;
  REQUIRE_FALSE(f.file->leaves()->hash_all(data.size() + 1, [&] { called = true; }));
  f.file.reset();  // the pool still reads through its own descriptor
  f.settle();
  CHECK_FALSE(called);
}

}  // namespace
}  // namespace hypermount::fuse
