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

void StreamCipher::apply(ByteView in, std::span<uint8_t> out) {
  size_t done = 0;
  // Finish a partially used block first: XOR through a zero-padded block copy.
  uint64_t offset_in_block = position_ % kBlockSize;
  if (offset_in_block != 0 && !in.empty()) {
    uint8_t block[kBlockSize] = {};
    size_t take = std::min<uint64_t>(kBlockSize - offset_in_block, in.size());
    std::copy(in.begin(), in.begin() + take, block + offset_in_block);
    crypto_stream_xsalsa20_xor_ic(block, block, kBlockSize, nonce_.data(), position_ / kBlockSize,
                                  key_.data());
    std::copy(block + offset_in_block, block + offset_in_block + take, out.begin());
    sodium_memzero(block, sizeof block);
    done = take;
    position_ += take;
  }
  if (done < in.size()) {
    crypto_stream_xsalsa20_xor_ic(out.data() + done, in.data() + done, in.size() - done,
                                  nonce_.data(), position_ / kBlockSize, key_.data());
    position_ += in.size() - done;
  }
}

}  // namespace hypermount::wire
