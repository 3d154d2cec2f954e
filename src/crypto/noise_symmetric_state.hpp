// Noise SymmetricState (ck, h, cipher key and nonce) over BLAKE2b-512 and the variant's AEAD.
// A plain value owned by one handshake; not thread-safe, use from the owner's thread.
#pragma once

#include "crypto/noise_dh.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <cstdint>

namespace hypermount::crypto {

constexpr size_t kNoiseHashSize = 64;  // BLAKE2b-512 (HASHLEN)
constexpr size_t kNoiseKeySize = 32;
constexpr size_t kNoiseTagSize = 16;

using NoiseHash = ByteArray<kNoiseHashSize>;
using NoiseKey = ByteArray<kNoiseKeySize>;

// The two 32-byte keys of Split(), assigned to directions for one side: `tx` protects what this
// side sends, `rx` what it receives (wire.md §3.3). Wiped on destruction.
struct TransportKeys {
  NoiseKey tx{};
  NoiseKey rx{};
  ~TransportKeys();
};

// HMAC-BLAKE2b-512 with a 128-byte block (wire.md §3.3); key at most 128 bytes.
NoiseHash hmac_blake2b(ByteView key, std::initializer_list<ByteView> data);

class SymmetricState {
 public:
  // Initialize(protocol name of the variant): h = name zero-padded, ck = h, no key.
  explicit SymmetricState(NoiseVariant variant);
  ~SymmetricState();
  SymmetricState(const SymmetricState&) = default;
  SymmetricState& operator=(const SymmetricState&) = default;

  void mix_hash(ByteView data);
  // HKDF(ck, ikm) -> ck, k; resets the nonce.
  void mix_key(ByteView input_key_material);
  // Without a key the plaintext is copied; with a key the AEAD ciphertext || tag (ad = h).
  // Error::protocol on nonce exhaustion.
  Result<Bytes> encrypt_and_hash(ByteView plaintext);
  // Error::protocol when the tag does not verify ("Noise handshake error" in the reference).
  Result<Bytes> decrypt_and_hash(ByteView ciphertext);
  // HKDF(ck, empty) -> (first 32 bytes of o1, first 32 bytes of o2), in that order.
  std::pair<NoiseKey, NoiseKey> split() const;

  NoiseVariant variant() const { return variant_; }
  bool has_key() const { return has_key_; }
  const NoiseHash& chaining_key() const { return ck_; }
  // h: after the last handshake message this is the handshake hash.
  const NoiseHash& handshake_hash() const { return h_; }
  const NoiseKey& key() const { return k_; }
  uint64_t nonce() const { return n_; }

 private:
  NoiseVariant variant_;
  NoiseHash ck_{};
  NoiseHash h_{};
  NoiseKey k_{};
  uint64_t n_ = 0;
  bool has_key_ = false;
};

}  // namespace hypermount::crypto
