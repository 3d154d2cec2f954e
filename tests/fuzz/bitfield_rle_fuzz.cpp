// libFuzzer target for the bitfield decoders: bitfield-rle (peer input, Have.bitfield) and the
// on-disk bitfield pages (CoreBitfield::from_pages). Single-threaded.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <set>

#include "core/bitfield.hpp"
#include "core/bitfield_rle.hpp"
#include "core/tree_proof.hpp"
#include "util/bytes.hpp"

namespace {

using hypermount::Bytes;
using hypermount::ByteView;
using namespace hypermount::core;

// Decoding must fail cleanly or round-trip through the reference encoder.
void fuzz_rle(ByteView input) {
  constexpr size_t kMaxBytes = 1 << 20;
  auto decoded = rle_decode(input, kMaxBytes, 4);
  if (!decoded) {
    return;
  }
  if (decoded->size() % 4 != 0 || decoded->size() > kMaxBytes + 3) {
    __builtin_trap();
  }
  const Bytes encoded = rle_encode(*decoded);
  auto again = rle_decode(encoded, kMaxBytes, 4);
  if (!again) {
    __builtin_trap();
  }
  // The encoder drops trailing zeros; padding restores them up to the alignment only.
  Bytes expected = *decoded;
  while (!expected.empty() && expected.back() == 0) {
    expected.pop_back();
  }
  Bytes got = *again;
  while (!got.empty() && got.back() == 0) {
    got.pop_back();
  }
  if (got != expected) {
    __builtin_trap();
  }
}

// Loading arbitrary pages must not crash, and the derived values must agree with the bytes.
void fuzz_pages(ByteView input) {
  CoreBitfield bits = CoreBitfield::from_pages(input);
  const Bytes data = bits.data_bits(0, 0);
  uint64_t ones = 0;
  for (uint8_t b : data) {
    ones += static_cast<uint64_t>(std::popcount(static_cast<unsigned>(b)));
  }
  if (ones != bits.count_blocks()) {
    __builtin_trap();
  }
  // With inconsistent tree bits the reference's verifiedBy can name a length whose last leaf
  // is absent (opening a core then rests on the signature check); a proof exists when present.
  const uint64_t length = local_length_from_bitfield(bits);
  (void)proof_digest(bits, 2 * length);
  if (length > 0 && bits.has_node(2 * (length - 1))) {
    std::set<uint64_t> remote;
    auto proof = build_proof(bits, 2 * (length - 1), 0, true, remote);
    if (!proof) {
      __builtin_trap();
    }
  }
  // Mutations after loading keep working.
  for (size_t i = 0; i + 3 < input.size() && i < 64; i += 4) {
    const uint64_t block = hypermount::get_u16be(input.data() + i) * uint64_t{131};
    bits.set_block(block, (input[i + 2] & 1) != 0);
    bits.set_node(input[i + 3] * uint64_t{977});
  }
  (void)bits.take_dirty_pages();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  fuzz_rle(input);
  if (size <= 16 * hypermount::core::kBitfieldPageSize) {
    fuzz_pages(input);
  }
  return 0;
}
