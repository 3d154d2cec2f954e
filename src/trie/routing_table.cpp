#include "trie/routing_table.hpp"

#include <algorithm>

#include "trie/key_path.hpp"
#include "util/varint.hpp"

namespace hypermount::trie {

namespace {

// The reference ORs slot bits into a 32-bit signed integer; slot 31 would turn the bitfield
// negative, so the highest slot a byte-compatible writer can produce is 30.
constexpr uint64_t kMaxEncodableSlot = 30;
// A bitfield is a JS number: the reference decodes at most 53 bits of it.
constexpr uint64_t kMaxDecodedSlots = 53;

}  // namespace

bool operator==(const Bucket& a, const Bucket& b) {
  return a.index == b.index && a.slots == b.slots;
}

const Bucket* RoutingTable::bucket(uint64_t i) const {
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), i,
                             [](const Bucket& b, uint64_t index) { return b.index < index; });
  if (it == buckets_.end() || it->index != i) {
    return nullptr;
  }
  return &*it;
}

uint64_t RoutingTable::slot(uint64_t i, uint64_t s) const {
  const Bucket* b = bucket(i);
  return b ? b->slot(s) : 0;
}

Bucket& RoutingTable::bucket_for_write(uint64_t i) {
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), i,
                             [](const Bucket& b, uint64_t index) { return b.index < index; });
  if (it == buckets_.end() || it->index != i) {
    it = buckets_.insert(it, Bucket{i, {}});
  }
  length_ = std::max(length_, i + 1);
  return *it;
}

void RoutingTable::push(uint64_t i, uint64_t digit, uint64_t seq) {
  uint64_t d = digit % kSlotStride;
  Bucket& b = bucket_for_write(i);
  while (b.slot(d) != 0) {
    d += kSlotStride;
  }
  if (std::find(b.slots.begin(), b.slots.end(), seq) != b.slots.end()) {
    return;
  }
  if (d > kMaxEncodableSlot) {
    return;
  }
  if (b.slots.size() <= d) {
    b.slots.resize(d + 1, 0);
  }
  b.slots[d] = seq;
}

Bytes RoutingTable::encode() const {
  Bytes out;
  put_varint(out, length_);
  for (const Bucket& b : buckets_) {
    uint64_t bitfield = 0;
    for (size_t s = 0; s < b.slots.size(); ++s) {
      if (b.slots[s] != 0) {
        bitfield |= uint64_t{1} << s;
      }
    }
    if (bitfield == 0) {
      continue;
    }
    put_varint(out, b.index);
    put_varint(out, bitfield);
    for (uint64_t seq : b.slots) {
      if (seq != 0) {
        put_varint(out, seq);
      }
    }
  }
  return out;
}

Result<RoutingTable> RoutingTable::decode(ByteView bytes) {
  RoutingTable table;
  auto length = get_varint(bytes);
  if (!length) {
    return Error::corrupt("trie buffer: truncated length");
  }
  table.length_ = *length;
  while (!bytes.empty()) {
    auto index = get_varint(bytes);
    if (!index) {
      return Error::corrupt("trie buffer: truncated bucket index");
    }
    auto bitfield = get_varint(bytes);
    if (!bitfield) {
      return Error::corrupt("trie buffer: truncated bitfield of bucket {}", *index);
    }
    if (*bitfield >> kMaxDecodedSlots) {
      return Error::corrupt("trie buffer: bitfield {:#x} of bucket {} too wide", *bitfield, *index);
    }
    Bucket b{*index, {}};
    for (uint64_t s = 0; s < kMaxDecodedSlots && (*bitfield >> s) != 0; ++s) {
      uint64_t seq = 0;
      if ((*bitfield >> s) & 1) {
        auto value = get_varint(bytes);
        if (!value) {
          return Error::corrupt("trie buffer: truncated seq in bucket {} slot {}", *index, s);
        }
        seq = *value;
      }
      b.slots.push_back(seq);
    }
    table.length_ = std::max(table.length_, b.index + 1);
    table.buckets_.push_back(std::move(b));
  }
  // A repeated index replaces the earlier bucket, as the JS assignment trie[i] = bucket does:
  // sort stably, then keep the last of each run of equal indexes.
  std::stable_sort(table.buckets_.begin(), table.buckets_.end(),
                   [](const Bucket& a, const Bucket& b) { return a.index < b.index; });
  std::vector<Bucket> unique;
  unique.reserve(table.buckets_.size());
  for (Bucket& b : table.buckets_) {
    if (!unique.empty() && unique.back().index == b.index) {
      unique.back() = std::move(b);
    } else {
      unique.push_back(std::move(b));
    }
  }
  table.buckets_ = std::move(unique);
  return table;
}

}  // namespace hypermount::trie
