// XSalsa20 keystream of one direction of a stream after the handshake (wire.md §4), no MAC.
// Owned by one session; use from its thread.
#pragma once

#include "util/bytes.hpp"

#include <cstdint>
#include <span>

namespace hypermount::wire {

constexpr size_t kTransportKeySize = 32;
constexpr size_t kTransportNonceSize = 24;

// XORs the bytes of one direction with a continuous keystream: the k-th byte ever passed
// through apply() meets keystream byte k, whatever the chunking.
class StreamCipher {
 public:
  StreamCipher(const ByteArray<kTransportKeySize>& key,
               const ByteArray<kTransportNonceSize>& nonce);
  ~StreamCipher();
  StreamCipher(const StreamCipher&) = delete;
  StreamCipher& operator=(const StreamCipher&) = delete;
  StreamCipher(StreamCipher&&) = default;
  StreamCipher& operator=(StreamCipher&&) = default;

  // Encrypts or decrypts in place.
  void apply(std::span<uint8_t> data) { apply(data, data); }
  // Encrypts or decrypts `in` into `out`, which is as long.
  void apply(ByteView in, std::span<uint8_t> out);
  uint64_t position() const { return position_; }

 private:
  static constexpr size_t kBlockSize = 64;  // Salsa20 block
  // XSalsa20 is Salsa20 under a key derived from the key and the nonce's first 16 bytes: derived
  // once here, not in every call (a call per message, a few hundred bytes each).
  ByteArray<kTransportKeySize> subkey_;
  ByteArray<8> nonce_tail_;  // the nonce's last 8 bytes
  // The keystream of the block holding position_ when it is not at a block's start: a message
  // ending inside a block leaves the rest of it to the next.
  ByteArray<kBlockSize> partial_;
  uint64_t position_ = 0;
};

}  // namespace hypermount::wire
