// Where a trie reads and appends its blocks: a small interface over a hypercore log, its
// adapter over core::Core, and an in-memory log (tests, batch tools). Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "util/bytes.hpp"
#include "util/result.hpp"

namespace hypermount::core {
class Core;
}

namespace hypermount::trie {

// Read side. The trie algorithms are pure over this interface, so they work on sparse replicas:
// a block that is not local yet comes back as Errc::Unavailable and the operation can be re-run
// once a higher layer has fetched it.
class BlockReader {
 public:
  virtual ~BlockReader() = default;
  // The bytes of block `seq`. Unavailable when the block exists (seq < length()) but is not
  // local; NotFound when seq >= length(); Io/Corrupt for storage failures.
  virtual Result<Bytes> block(uint64_t seq) = 0;
  // The log length as far as this replica knows it.
  virtual uint64_t length() const = 0;
};

// Write side: appending is only possible on the writer's log.
class BlockLog : public BlockReader {
 public:
  virtual bool writable() const = 0;
  // Appends the blocks as one atomic batch (readers see all or none).
  virtual Status append(const std::vector<ByteView>& blocks) = 0;
};

// Adapter over a hypercore; `core` must outlive it. A block read from the store brings the
// local blocks after it in its group of kGroupBlocks along (one read of the tree and of the data
// instead of one each): a folder's entries were mostly written together and a listing wants
// them all. Those wait in their group's slot until asked for (each is handed out once).
class CoreLog final : public BlockLog {
 public:
  static constexpr uint64_t kGroupBlocks = 16;
  static constexpr size_t kGroupSlots = 1024;       // groups held: 16,384 blocks
  static constexpr uint64_t kGroupBytes = 16 * 1024;  // read along at most, per group

  explicit CoreLog(core::Core& core) : core_(core) {}
  Result<Bytes> block(uint64_t seq) override;
  uint64_t length() const override;
  bool writable() const override;
  Status append(const std::vector<ByteView>& blocks) override;

 private:
  struct Group {
    uint64_t first = 0;  // seq of blocks[0]
    std::vector<Bytes> blocks;
    std::vector<bool> taken;
  };
  core::Core& core_;
  std::vector<Group> groups_;  // by (seq / kGroupBlocks) % kGroupSlots, made on first read
};

// A log held in memory. Blocks can be marked absent to model a sparse replica.
class MemoryLog final : public BlockLog {
 public:
  Result<Bytes> block(uint64_t seq) override;
  uint64_t length() const override { return blocks_.size(); }
  bool writable() const override { return true; }
  Status append(const std::vector<ByteView>& blocks) override;

  // Sparse-replica modelling: an absent block reads as Unavailable until made present again.
  void set_absent(uint64_t seq, bool absent);
  // Every block read so far, in order (the lookup-cost tests count them).
  const std::vector<uint64_t>& reads() const { return reads_; }
  void clear_reads() { reads_.clear(); }

 private:
  std::vector<Bytes> blocks_;
  std::set<uint64_t> absent_;
  std::vector<uint64_t> reads_;
};

}  // namespace hypermount::trie
