// The hypercore 8 on-disk bitfield (spec hypercore.md §5.6, §6.1): data, tree and index bits
// in sparse 3584-byte pages, byte-identical to the reference. Loop thread only (no locking).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/bytes.hpp"

namespace hypermount::core {

// Byte layout of one bitfield page (spec §5.6): data | tree | index sub-bitfields.
inline constexpr size_t kBitfieldPageSize = 3584;
inline constexpr size_t kDataPageBytes = 1024;
inline constexpr size_t kTreePageBytes = 2048;
inline constexpr size_t kIndexPageBytes = 512;
inline constexpr size_t kTreePageOffset = kDataPageBytes;
inline constexpr size_t kIndexPageOffset = kDataPageBytes + kTreePageBytes;

// Tree node indices at or above this are never stored: has_node() answers false and set_node()
// ignores them, so the flat-tree arithmetic on their ancestors cannot overflow. The reference
// uses JS doubles, where indices stay below 2^53; callers reject peer input above that anyway.
inline constexpr uint64_t kMaxTreeNodeIndex = uint64_t{1} << 60;

// The three sub-bitfields of a feed, sharing one sparse page map. Absent pages read as zero.
// Move-only; not thread-safe.
class CoreBitfield {
 public:
  CoreBitfield() = default;
  CoreBitfield(CoreBitfield&&) = default;
  CoreBitfield& operator=(CoreBitfield&&) = default;
  CoreBitfield(const CoreBitfield&) = delete;
  CoreBitfield& operator=(const CoreBitfield&) = delete;

  // Loads the bitfield file content after its 32-byte header (§5.7 step 2). A short last page is
  // zero-padded; every page counts towards the page count P, zero pages included. Nothing is
  // dirty afterwards.
  static CoreBitfield from_pages(ByteView file_body);

  // Data bits: "I have block b" (§5.6.2). set_block updates the index bytes exactly as the
  // reference does and returns whether the data bit changed.
  bool has_block(uint64_t block) const;
  bool set_block(uint64_t block, bool present);

  // Tree bits: "I have the hash of node n" (§5.6.1). set_node applies the closure rule (sets
  // parents while the sibling is set) and returns whether node n itself was newly set.
  bool has_node(uint64_t node) const;
  bool set_node(uint64_t node);

  // Sub-bitfield lengths in bits (§6.1): start at P × page bytes × 8, grow to cover the highest
  // byte ever written with a new value.
  uint64_t data_bit_length() const { return 8 * data_byte_length_; }
  uint64_t tree_bit_length() const { return 8 * tree_byte_length_; }
  // P: highest page number ever allocated or loaded, plus one.
  uint64_t page_count() const { return page_count_; }

  // Number of blocks whose data bit is set; O(1) (maintained incrementally).
  uint64_t count_blocks() const { return block_count_; }

  // Every page modified since the last call, as (page number, whole 3584-byte page), in
  // increasing page order; clears the dirty set. The caller writes page j at 32 + 3584·j (§5.6.3).
  std::vector<std::pair<uint64_t, Bytes>> take_dirty_pages();
  // Puts a page taken by take_dirty_pages back (its write failed: the next take gives it again).
  void mark_dirty(uint64_t page_number) { dirty_.insert(page_number); }

  // The uncompressed `Have.bitfield` payload for a Want(start, length) (§9): the data bits of
  // blocks [start, start + length) as ceil(length / 8) bytes (MSB first), with length truncated to
  // max(1, data_bit_length - start) when the range passes the data bit length. start = 0 and
  // length = 0 means the whole data bitfield (data_bit_length / 8 bytes). `start` must be a
  // multiple of 8 (the replicator only answers multiples of 8192); its low bits are ignored.
  Bytes data_bits(uint64_t start, uint64_t length) const;

 private:
  using Page = std::array<uint8_t, kBitfieldPageSize>;

  // One of the three sub-bitfields: where it sits inside a page and its byte length counter.
  enum class Part { Data, Tree, Index };

  uint8_t get_byte(Part part, uint64_t byte_index) const;
  // Stores a byte, allocating its page even when the value does not change (as the reference
  // does; this can raise P). Returns whether the stored value changed.
  bool set_byte(Part part, uint64_t byte_index, uint8_t value);
  void update_index(uint64_t data_byte, uint8_t value);
  Page& page_for_write(uint64_t page_number);
  const Page* find_page(uint64_t page_number) const;

  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
  // The page find_page found last (pages are never freed): most lookups in a row fall in one
  // page, and reading a byte through the map was a tenth of a clone's CPU on the loop.
  // Forgotten on a move.
  struct LastPage {
    uint64_t number = UINT64_MAX;
    const Page* page = nullptr;
    LastPage() = default;
    LastPage(LastPage&&) noexcept {}
    LastPage& operator=(LastPage&&) noexcept {
      number = UINT64_MAX;
      page = nullptr;
      return *this;
    }
  };
  mutable LastPage last_page_;
  std::set<uint64_t> dirty_;
  uint64_t page_count_ = 0;
  uint64_t data_byte_length_ = 0;
  uint64_t tree_byte_length_ = 0;
  uint64_t index_byte_length_ = 0;
  uint64_t block_count_ = 0;
};

}  // namespace hypermount::core
