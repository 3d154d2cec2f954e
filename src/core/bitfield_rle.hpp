// bitfield-rle@2.2.1 coding of data bitfields as carried in Have.bitfield (hypercore.md §9).
// Pure functions; usable from any thread.
#pragma once

#include <cstddef>

#include "util/bytes.hpp"
#include "util/result.hpp"

namespace hypermount::core {

// Encodes exactly as the reference encoder does (trailing zero bytes dropped, runs emitted only
// where they are cheaper than literals), so the output bytes match the JS ones.
Bytes rle_encode(ByteView bitfield);

// Decodes an RLE bitfield. The result is zero-padded to a multiple of `align` bytes (1: exact,
// 4: what hypercore's replicator uses). Errors (Errc::Protocol): a truncated or over-long varint,
// a literal running past the end of the input, or a decoded size (before padding) above
// `max_bytes`, checked before anything is allocated so a tiny input cannot claim a huge output.
Result<Bytes> rle_decode(ByteView encoded, size_t max_bytes, size_t align = 1);

}  // namespace hypermount::core
