// The routing table carried by every hypertrie node and its compressed `trieBuffer` form
// (spec hypertrie.md §5). Plain value type; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/bytes.hpp"
#include "util/result.hpp"

namespace hypermount::trie {

// One bucket: slots[s] is a seq (0 = empty); slot s stands for digit s mod 5 (§5.1). The slots
// live in the table's storage: valid while the table lives and is not changed.
struct Bucket {
  uint64_t index = 0;
  std::span<const uint64_t> slots;

  uint64_t slot(uint64_t s) const { return s < slots.size() ? slots[s] : 0; }
};

// Buckets kept sorted by index; absent buckets are empty. Sparse because a peer's node may name
// any bucket index. Every slot of every bucket sits in one array, in bucket order: a decoded node
// costs two allocations, not one per bucket (a cached node of a 100,000-entry trie has 8 or 9).
class RoutingTable {
 public:
  RoutingTable() = default;
  RoutingTable(const RoutingTable& other);
  RoutingTable& operator=(const RoutingTable& other);
  RoutingTable(RoutingTable&&) = default;
  RoutingTable& operator=(RoutingTable&&) = default;

  // The bucket at digit index i, or nullptr when it is empty.
  const Bucket* bucket(uint64_t i) const;
  // The first bucket at digit index i or later, or nullptr when there is none.
  const Bucket* bucket_from(uint64_t i) const;
  // Slot s of bucket i, 0 when empty.
  uint64_t slot(uint64_t i, uint64_t s) const;
  const std::vector<Bucket>& buckets() const { return buckets_; }
  bool empty() const { return buckets_.empty(); }
  // The encoded trieLength: the JS array length (highest bucket index + 1, or the decoded
  // length when that is larger).
  uint64_t length() const { return length_; }

  // "Add pointer (i, d, seq)" of §8: d is reduced modulo 5 and moved up by 5 past occupied
  // slots; nothing happens when seq is already in the bucket. Slots that the reference cannot
  // encode (>= 31, i.e. six collision siblings) are dropped.
  void push(uint64_t i, uint64_t digit, uint64_t seq);

  // The trieBuffer bytes, exactly as hypertrie 4 writes them (§5.2).
  Bytes encode() const;
  // Parses a trieBuffer. Corrupt on a truncated varint or a bucket that names no slot's seq.
  static Result<RoutingTable> decode(ByteView bytes);

  bool operator==(const RoutingTable& other) const;

 private:
  // Points each bucket's span at its run of slots_ (runs are consecutive, in bucket order).
  void rebase();

  std::vector<Bucket> buckets_;
  std::vector<uint64_t> slots_;
  uint64_t length_ = 0;
};

bool operator==(const Bucket& a, const Bucket& b);

}  // namespace hypermount::trie
