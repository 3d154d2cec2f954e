#include "crypto/shorthash.hpp"

#include <sodium.h>

namespace hypermount::crypto {

ShortHash shorthash(ByteView message, const ShortHashKey& key) {
  static_assert(kShortHashSize == crypto_shorthash_BYTES);
  static_assert(kShortHashKeySize == crypto_shorthash_KEYBYTES);
  ShortHash out;
  crypto_shorthash(out.data(), message.data(), message.size(), key.data());
  return out;
}

}  // namespace hypermount::crypto
