// Hypertrie key handling: normalization, splitting into components, SipHash of the components
// and the digit path (spec hypertrie.md §4). Pure functions; call crypto::init() first; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.hpp"

namespace hypermount::trie {

// Digit value at the last index of every path: "end of key" (§4.3).
inline constexpr uint8_t kEndDigit = 4;
// Slots of one digit value repeat every kSlotStride slots (collision siblings, §5.1).
inline constexpr size_t kSlotStride = 5;
// Digits per key component: 8 hash bytes, 4 digits per byte (§4.3).
inline constexpr size_t kDigitsPerComponent = 32;

// Removes exactly one leading '/' (§4.1 step 1); nothing else changes.
std::string normalize_key(std::string_view key);
// Splits a normalized key on '/', dropping an empty first and an empty last component
// (§4.1 step 2). '' has no components; 'a//b' is {'a', '', 'b'}.
std::vector<std::string> split_key(std::string_view normalized_key);
// Concatenated 8-byte SipHash-2-4 (zero key) of each component (§4.2).
Bytes hash_components(const std::vector<std::string>& components);

// The digit path of a key: index 0 the hidden flag, then 4 digits per hash byte (low bit pair
// first), then kEndDigit (§4.3). Indexes at or past the end read as kEndDigit, as in the JS.
inline uint8_t path_digit(ByteView hash, bool hidden, uint64_t i) {
  if (i == 0) {
    return hidden ? 1 : 0;
  }
  const uint64_t j = (i - 1) >> 2;
  if (j >= hash.size()) {
    return kEndDigit;
  }
  return static_cast<uint8_t>((hash[j] >> (2 * ((i - 1) & 3))) & 3);
}

// Number of digits in the path of a key with this hash: 4 per hash byte plus 2.
inline uint64_t path_length(ByteView hash) { return hash.size() * 4 + 2; }

// True at the last digit of a component (a positive multiple of 32), where the algorithms
// compare component strings to detect SipHash collisions (§4.4).
inline bool is_terminator(uint64_t i) { return i > 0 && (i & 31) == 0; }

}  // namespace hypermount::trie
