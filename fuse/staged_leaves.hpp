// Leaf hashes of a staging file's blocks, worked out on the libuv thread pool while writes fill
// them, so that committing the file finds them ready instead of hashing on the loop. Loop thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/result.hpp"

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>

namespace hypermount::fuse {

class StagedLeaves {
 public:
  // Hashes blocks of `block_size` bytes (the file's block k is bytes [k * block_size, ...)) of
  // the file `fd`, read through a duplicate of it: work on the pool may still be reading after
  // the owner has closed its own. `loop` must outlive the hashing in flight.
  static Result<std::unique_ptr<StagedLeaves>> create(uv_loop_t* loop, int fd, uint64_t block_size);
  ~StagedLeaves();  // work in flight finishes on the pool and is dropped
  StagedLeaves(const StagedLeaves&) = delete;
  StagedLeaves& operator=(const StagedLeaves&) = delete;

  // After bytes [offset, offset + length) were written: the blocks they change lose their
  // hash, and those the written prefix of the file now covers whole are handed to the pool.
  void written(uint64_t offset, uint64_t length);
  // After the file was cut or grown from `old_size` to `size` bytes.
  void resized(uint64_t old_size, uint64_t size);
  // The leaf hash (core::leaf_node) of bytes [offset, offset + length), if they are a block
  // hashed as the file holds it now.
  std::optional<crypto::Hash> leaf_hash(uint64_t offset, uint64_t length) const;
  // Hands every block of the first `size` bytes without a hash to the pool (the last one
  // possibly short). True if none was missing or in flight; otherwise `done` runs on the loop
  // once the pool is through with them (a block changed meanwhile may still lack its hash).
  bool hash_all(uint64_t size, std::function<void()> done);

 private:
  struct State;
  explicit StagedLeaves(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;  // shared with the work in flight
};

}  // namespace hypermount::fuse
