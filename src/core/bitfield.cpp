#include "core/bitfield.hpp"

#include <algorithm>
#include <bit>

#include "core/flat_tree.hpp"

namespace hypermount::core {

namespace {

struct PartLayout {
  size_t offset;  // where the sub-bitfield starts inside a page
  size_t bytes;   // its bytes per page
};

constexpr PartLayout kDataLayout{0, kDataPageBytes};
constexpr PartLayout kTreeLayout{kTreePageOffset, kTreePageBytes};
constexpr PartLayout kIndexLayout{kIndexPageOffset, kIndexPageBytes};

// Summary code of one data byte or one index nibble (§5.6.2): all ones → 3, all zeros → 0,
// mixed → 1.
constexpr uint8_t summary_code(uint8_t byte, uint8_t full) {
  if (byte == full) {
    return 3;
  }
  return byte == 0 ? 0 : 1;
}

// squeeze(x): each nibble of an index byte becomes one 2-bit code, high nibble first.
constexpr uint8_t squeeze(uint8_t x) {
  return static_cast<uint8_t>((summary_code(x >> 4, 15) << 2) | summary_code(x & 15, 15));
}

int popcount_range(const uint8_t* begin, size_t n) {
  int total = 0;
  for (size_t i = 0; i < n; ++i) {
    total += std::popcount(static_cast<unsigned>(begin[i]));
  }
  return total;
}

}  // namespace

CoreBitfield CoreBitfield::from_pages(ByteView file_body) {
  CoreBitfield bits;
  const uint64_t count = (file_body.size() + kBitfieldPageSize - 1) / kBitfieldPageSize;
  for (uint64_t j = 0; j < count; ++j) {
    const size_t begin = j * kBitfieldPageSize;
    const size_t n = std::min(kBitfieldPageSize, file_body.size() - begin);
    const ByteView src = file_body.subspan(begin, n);
    if (std::all_of(src.begin(), src.end(), [](uint8_t b) { return b == 0; })) {
      continue;  // zero pages still count towards P but need no memory
    }
    auto page = std::make_unique<Page>();
    page->fill(0);
    std::copy(src.begin(), src.end(), page->begin());
    bits.block_count_ += popcount_range(page->data(), kDataPageBytes);
    bits.pages_.emplace(j, std::move(page));
  }
  bits.page_count_ = count;
  bits.data_byte_length_ = count * kDataPageBytes;
  bits.tree_byte_length_ = count * kTreePageBytes;
  bits.index_byte_length_ = count * kIndexPageBytes;
  return bits;
}

const CoreBitfield::Page* CoreBitfield::find_page(uint64_t page_number) const {
  if (page_number == last_page_.number) return last_page_.page;
  auto it = pages_.find(page_number);
  if (it == pages_.end()) return nullptr;  // not remembered: page_for_write may add it
  last_page_.number = page_number;
  last_page_.page = it->second.get();
  return last_page_.page;
}

CoreBitfield::Page& CoreBitfield::page_for_write(uint64_t page_number) {
  auto& slot = pages_[page_number];
  if (!slot) {
    slot = std::make_unique<Page>();
    slot->fill(0);
    page_count_ = std::max(page_count_, page_number + 1);
  }
  return *slot;
}

uint8_t CoreBitfield::get_byte(Part part, uint64_t byte_index) const {
  const PartLayout layout = part == Part::Data   ? kDataLayout
                            : part == Part::Tree ? kTreeLayout
                                                 : kIndexLayout;
  const Page* page = find_page(byte_index / layout.bytes);
  return page ? (*page)[layout.offset + byte_index % layout.bytes] : 0;
}

bool CoreBitfield::set_byte(Part part, uint64_t byte_index, uint8_t value) {
  const PartLayout layout = part == Part::Data   ? kDataLayout
                            : part == Part::Tree ? kTreeLayout
                                                 : kIndexLayout;
  const uint64_t page_number = byte_index / layout.bytes;
  Page& page = page_for_write(page_number);
  uint8_t& slot = page[layout.offset + byte_index % layout.bytes];
  if (slot == value) {
    return false;
  }
  slot = value;
  uint64_t& byte_length = part == Part::Data   ? data_byte_length_
                          : part == Part::Tree ? tree_byte_length_
                                               : index_byte_length_;
  byte_length = std::max(byte_length, byte_index + 1);
  dirty_.insert(page_number);
  return true;
}

bool CoreBitfield::has_block(uint64_t block) const {
  return (get_byte(Part::Data, block / 8) & (0x80 >> (block % 8))) != 0;
}

bool CoreBitfield::set_block(uint64_t block, bool present) {
  const uint64_t byte_index = block / 8;
  const uint8_t mask = static_cast<uint8_t>(0x80 >> (block % 8));
  const uint8_t old_value = get_byte(Part::Data, byte_index);
  const uint8_t new_value =
      present ? static_cast<uint8_t>(old_value | mask) : static_cast<uint8_t>(old_value & ~mask);
  // Like the reference, the page is allocated even when nothing changes.
  if (!set_byte(Part::Data, byte_index, new_value)) {
    return false;
  }
  if (present) {
    ++block_count_;
  } else {
    --block_count_;
  }
  update_index(byte_index, new_value);
  return true;
}

// §5.6.2, including the reference's early stops: the walk ends at the first index byte that does
// not change, or at the first position not below M = 512·P as it was when the walk started.
// The reference's second pass (re-deriving parents of old index roots) never changes a byte, so
// it is left out.
void CoreBitfield::update_index(uint64_t data_byte, uint8_t value) {
  const uint64_t slot = data_byte % 4;
  uint64_t position = 2 * (data_byte / 4);
  const unsigned shift = static_cast<unsigned>(6 - 2 * slot);
  uint8_t x = static_cast<uint8_t>((get_byte(Part::Index, position) & ~(0x3u << shift)) |
                                   (summary_code(value, 0xff) << shift));
  const uint64_t max_position = kIndexPageBytes * page_count_;
  while (position < max_position && set_byte(Part::Index, position, x)) {
    const uint8_t sibling = get_byte(Part::Index, flat_tree::sibling(position));
    if (flat_tree::is_left(position)) {
      x = static_cast<uint8_t>((squeeze(x) << 4) | squeeze(sibling));
    } else {
      x = static_cast<uint8_t>((squeeze(sibling) << 4) | squeeze(x));
    }
    position = flat_tree::parent(position);
  }
}

bool CoreBitfield::has_node(uint64_t node) const {
  if (node >= kMaxTreeNodeIndex) {
    return false;
  }
  return (get_byte(Part::Tree, node / 8) & (0x80 >> (node % 8))) != 0;
}

bool CoreBitfield::set_node(uint64_t node) {
  // Sets one tree bit; like the reference it allocates the page even if the bit was set.
  auto set_bit = [this](uint64_t n) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (n % 8));
    return set_byte(Part::Tree, n / 8, static_cast<uint8_t>(get_byte(Part::Tree, n / 8) | mask));
  };
  if (node >= kMaxTreeNodeIndex || !set_bit(node)) {
    return false;
  }
  uint64_t n = node;
  while (has_node(flat_tree::sibling(n))) {
    n = flat_tree::parent(n);
    if (n >= kMaxTreeNodeIndex || !set_bit(n)) {
      break;
    }
  }
  return true;
}

std::vector<std::pair<uint64_t, Bytes>> CoreBitfield::take_dirty_pages() {
  std::vector<std::pair<uint64_t, Bytes>> out;
  out.reserve(dirty_.size());
  for (uint64_t page_number : dirty_) {
    const Page* page = find_page(page_number);
    Bytes bytes(kBitfieldPageSize, 0);
    if (page) {
      std::copy(page->begin(), page->end(), bytes.begin());
    }
    out.emplace_back(page_number, std::move(bytes));
  }
  dirty_.clear();
  return out;
}

Bytes CoreBitfield::data_bits(uint64_t start, uint64_t length) const {
  uint64_t first_byte = start / 8;
  uint64_t byte_count = 0;
  if (start == 0 && length == 0) {
    byte_count = data_byte_length_;
  } else {
    const uint64_t bit_length = data_bit_length();
    if (length > bit_length || start > bit_length - length) {
      length = bit_length > start ? bit_length - start : 1;
    }
    byte_count = (length + 7) / 8;
  }
  Bytes out(byte_count, 0);
  // Walk page by page so a long run of absent pages costs one lookup each.
  uint64_t done = 0;
  while (done < byte_count) {
    const uint64_t byte_index = first_byte + done;
    const uint64_t in_page = byte_index % kDataPageBytes;
    const uint64_t n = std::min<uint64_t>(kDataPageBytes - in_page, byte_count - done);
    if (const Page* page = find_page(byte_index / kDataPageBytes)) {
      std::copy_n(page->begin() + in_page, n, out.begin() + done);
    }
    done += n;
  }
  return out;
}

}  // namespace hypermount::core
