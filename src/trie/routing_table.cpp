#include "trie/routing_table.hpp"

#include <algorithm>
#include <bit>

#include "trie/key_path.hpp"
#include "util/varint.hpp"

namespace hypermount::trie {

namespace {

// The reference ORs slot bits into a 32-bit signed integer; slot 31 would turn the bitfield
// negative, so the highest slot a byte-compatible writer can produce is 30.
constexpr uint64_t kMaxEncodableSlot = 30;
// A bitfield is a JS number: the reference decodes at most 53 bits of it.
constexpr uint64_t kMaxDecodedSlots = 53;

// Walks the buckets of a trieBuffer after its length: on_bucket(index, slot count), then
// on_seq(slot, seq) for each occupied slot. Corrupt on a truncated or too wide buffer.
template <typename OnBucket, typename OnSeq>
Status parse_buckets(ByteView bytes, OnBucket on_bucket, OnSeq on_seq) {
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
    on_bucket(*index, static_cast<size_t>(std::bit_width(*bitfield)));
    for (uint64_t s = 0; (*bitfield >> s) != 0; ++s) {
      if ((*bitfield >> s) & 1) {
        auto seq = get_varint(bytes);
        if (!seq) {
          return Error::corrupt("trie buffer: truncated seq in bucket {} slot {}", *index, s);
        }
        on_seq(s, *seq);
      }
    }
  }
  return {};
}

}  // namespace

bool operator==(const Bucket& a, const Bucket& b) {
  return a.index == b.index && std::equal(a.slots.begin(), a.slots.end(), b.slots.begin(),
                                          b.slots.end());
}

RoutingTable::RoutingTable(const RoutingTable& other)
    : buckets_(other.buckets_), slots_(other.slots_), length_(other.length_) {
  rebase();
}

RoutingTable& RoutingTable::operator=(const RoutingTable& other) {
  if (this != &other) {
    buckets_ = other.buckets_;
    slots_ = other.slots_;
    length_ = other.length_;
    rebase();
  }
  return *this;
}

bool RoutingTable::operator==(const RoutingTable& other) const {
  return length_ == other.length_ && buckets_ == other.buckets_;
}

void RoutingTable::rebase() {
  size_t at = 0;
  for (Bucket& b : buckets_) {
    b.slots = std::span<const uint64_t>(slots_.data() + at, b.slots.size());
    at += b.slots.size();
  }
}

const Bucket* RoutingTable::bucket(uint64_t i) const {
  const Bucket* b = bucket_from(i);
  return b != nullptr && b->index == i ? b : nullptr;
}

const Bucket* RoutingTable::bucket_from(uint64_t i) const {
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), i,
                             [](const Bucket& b, uint64_t index) { return b.index < index; });
  return it == buckets_.end() ? nullptr : &*it;
}

uint64_t RoutingTable::slot(uint64_t i, uint64_t s) const {
  const Bucket* b = bucket(i);
  return b ? b->slot(s) : 0;
}

void RoutingTable::push(uint64_t i, uint64_t digit, uint64_t seq) {
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), i,
                             [](const Bucket& b, uint64_t index) { return b.index < index; });
  if (it == buckets_.end() || it->index != i) {
    const uint64_t* at = it == buckets_.end() ? slots_.data() + slots_.size() : it->slots.data();
    it = buckets_.insert(it, Bucket{i, std::span<const uint64_t>(at, 0)});
  }
  length_ = std::max(length_, i + 1);
  uint64_t d = digit % kSlotStride;
  while (it->slot(d) != 0) {
    d += kSlotStride;
  }
  if (std::find(it->slots.begin(), it->slots.end(), seq) != it->slots.end()) {
    return;
  }
  if (d > kMaxEncodableSlot) {
    return;
  }
  const auto first = static_cast<size_t>(it->slots.data() - slots_.data());
  const size_t size = it->slots.size();
  if (size <= d) {
    slots_.insert(slots_.begin() + static_cast<std::ptrdiff_t>(first + size), d + 1 - size, 0);
    it->slots = std::span<const uint64_t>(it->slots.data(), d + 1);
  }
  slots_[first + d] = seq;
  rebase();
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
  // Size first, so that both arrays are allocated once and exactly.
  size_t buckets = 0;
  size_t slots = 0;
  auto count_bucket = [&](uint64_t, size_t count) {
    ++buckets;
    slots += count;
  };
  HM_TRY(parse_buckets(bytes, count_bucket, [](uint64_t, uint64_t) {}));
  table.buckets_.reserve(buckets);
  table.slots_.assign(slots, 0);
  size_t base = 0;
  auto add_bucket = [&](uint64_t index, size_t count) {
    base = table.buckets_.empty() ? 0 : base + table.buckets_.back().slots.size();
    table.buckets_.push_back(
        Bucket{index, std::span<const uint64_t>(table.slots_.data() + base, count)});
    table.length_ = std::max(table.length_, index + 1);
  };
  HM_TRY(parse_buckets(bytes, add_bucket,
                       [&](uint64_t slot, uint64_t seq) { table.slots_[base + slot] = seq; }));
  auto out_of_order = [](const Bucket& a, const Bucket& b) { return a.index >= b.index; };
  if (std::adjacent_find(table.buckets_.begin(), table.buckets_.end(), out_of_order) ==
      table.buckets_.end()) {
    return table;
  }
  // A repeated index replaces the earlier bucket, as the JS assignment trie[i] = bucket does:
  // sort stably, then keep the last of each run of equal indexes, and store the slots in the
  // new bucket order.
  std::stable_sort(table.buckets_.begin(), table.buckets_.end(),
                   [](const Bucket& a, const Bucket& b) { return a.index < b.index; });
  std::vector<Bucket> unique;
  for (const Bucket& b : table.buckets_) {
    if (!unique.empty() && unique.back().index == b.index) {
      unique.back() = b;
    } else {
      unique.push_back(b);
    }
  }
  std::vector<uint64_t> ordered;
  for (const Bucket& b : unique) {
    ordered.insert(ordered.end(), b.slots.begin(), b.slots.end());
  }
  table.buckets_ = std::move(unique);
  table.slots_ = std::move(ordered);
  table.rebase();
  return table;
}

}  // namespace hypermount::trie
