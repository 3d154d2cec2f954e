// SipHash-2-4 with a 64-bit output (libsodium crypto_shorthash), as hypertrie hashes key parts.
// Pure function; call crypto::init() once before use; then any thread.
#pragma once

#include "util/bytes.hpp"

namespace hypermount::crypto {

constexpr size_t kShortHashSize = 8;
constexpr size_t kShortHashKeySize = 16;

using ShortHash = ByteArray<kShortHashSize>;
using ShortHashKey = ByteArray<kShortHashKeySize>;

// SipHash-2-4(key, message): the 64-bit result in the byte order libsodium writes it
// (little-endian), e.g. hypertrie's component hash with a zero key (spec hypertrie.md §4.2).
ShortHash shorthash(ByteView message, const ShortHashKey& key);

}  // namespace hypermount::crypto
