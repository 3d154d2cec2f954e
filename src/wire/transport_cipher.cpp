#include "wire/transport_cipher.hpp"

#include <sodium.h>

#include <algorithm>

namespace hypermount::wire {
namespace {
constexpr uint64_t kBlockSize = 64;  // Salsa20 block
}

StreamCipher::StreamCipher(const ByteArray<kTransportKeySize>& key,
                           const ByteArray<kTransportNonceSize>& nonce)
    : key_(key), nonce_(nonce) {}

StreamCipher::~StreamCipher() { sodium_memzero(key_.data(), key_.size()); }

void StreamCipher::apply(std::span<uint8_t> data) {
  size_t done = 0;
  // Finish a partially used block first: XOR through a zero-padded block copy.
  uint64_t offset_in_block = position_ % kBlockSize;
  if (offset_in_block != 0 && !data.empty()) {
    uint8_t block[kBlockSize] = {};
    size_t take = std::min<uint64_t>(kBlockSize - offset_in_block, data.size());
    std::copy(data.begin(), data.begin() + take, block + offset_in_block);
    crypto_stream_xsalsa20_xor_ic(block, block, kBlockSize, nonce_.data(), position_ / kBlockSize,
                                  key_.data());
    std::copy(block + offset_in_block, block + offset_in_block + take, data.begin());
    sodium_memzero(block, sizeof block);
    done = take;
    position_ += take;
  }
  if (done < data.size()) {
    crypto_stream_xsalsa20_xor_ic(data.data() + done, data.data() + done, data.size() - done,
                                  nonce_.data(), position_ / kBlockSize, key_.data());
    position_ += data.size() - done;
  }
}

}  // namespace hypermount::wire
