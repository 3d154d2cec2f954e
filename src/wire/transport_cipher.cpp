#include "wire/transport_cipher.hpp"

#include <sodium.h>

#include <algorithm>

namespace hypermount::wire {

StreamCipher::StreamCipher(const ByteArray<kTransportKeySize>& key,
                           const ByteArray<kTransportNonceSize>& nonce) {
  crypto_core_hsalsa20(subkey_.data(), nonce.data(), key.data(), nullptr);
  std::copy(nonce.begin() + 16, nonce.end(), nonce_tail_.begin());
}

StreamCipher::~StreamCipher() {
  sodium_memzero(subkey_.data(), subkey_.size());
  sodium_memzero(partial_.data(), partial_.size());
}

void StreamCipher::apply(ByteView in, std::span<uint8_t> out) {
  size_t done = 0;
  // The rest of a block an earlier call began.
  const uint64_t offset_in_block = position_ % kBlockSize;
  if (offset_in_block != 0 && !in.empty()) {
    const size_t take = std::min<uint64_t>(kBlockSize - offset_in_block, in.size());
    for (size_t i = 0; i < take; ++i) out[i] = in[i] ^ partial_[offset_in_block + i];
    done = take;
    position_ += take;
  }
  // Whole blocks in one call.
  const size_t whole = (in.size() - done) / kBlockSize * kBlockSize;
  if (whole > 0) {
    crypto_stream_salsa20_xor_ic(out.data() + done, in.data() + done, whole, nonce_tail_.data(),
                                 position_ / kBlockSize, subkey_.data());
    done += whole;
    position_ += whole;
  }
  // A block begun: its keystream is kept for the next call.
  if (done < in.size()) {
    partial_.fill(0);
    crypto_stream_salsa20_xor_ic(partial_.data(), partial_.data(), kBlockSize, nonce_tail_.data(),
                                 position_ / kBlockSize, subkey_.data());
    const size_t rest = in.size() - done;
    for (size_t i = 0; i < rest; ++i) out[done + i] = in[done + i] ^ partial_[i];
    position_ += rest;
  }
}

}  // namespace hypermount::wire
