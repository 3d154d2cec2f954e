#include "crypto/noise_symmetric_state.hpp"

#include "crypto/keys.hpp"

#include <sodium.h>

#include <algorithm>

namespace hypermount::crypto {
namespace {

constexpr size_t kHmacBlockSize = 128;  // BLAKE2b BLOCKLEN

NoiseHash blake2b_512(std::initializer_list<ByteView> parts) {
  NoiseHash out;
  blake2b(out, parts);
  return out;
}

// HKDF with two outputs (wire.md §3.3).
std::pair<NoiseHash, NoiseHash> hkdf(const NoiseHash& chaining_key, ByteView ikm) {
  NoiseHash temp = hmac_blake2b(chaining_key, {ikm});
  const uint8_t one = 0x01;
  const uint8_t two = 0x02;
  NoiseHash out1 = hmac_blake2b(temp, {ByteView(&one, 1)});
  NoiseHash out2 = hmac_blake2b(temp, {out1, ByteView(&two, 1)});
  sodium_memzero(temp.data(), temp.size());
  return {out1, out2};
}

NoiseKey first_32(const NoiseHash& hash) {
  NoiseKey key;
  std::copy(hash.begin(), hash.begin() + kNoiseKeySize, key.begin());
  return key;
}

// v7: 16 zero bytes || u64le(n) (XChaCha20); v8: 4 zero bytes || u64le(n) (ChaCha20-IETF).
void aead_nonce(NoiseVariant variant, uint64_t n, uint8_t* out24) {
  std::fill(out24, out24 + 24, 0);
  size_t offset = variant == NoiseVariant::V7 ? 16 : 4;
  for (size_t i = 0; i < 8; ++i) out24[offset + i] = static_cast<uint8_t>(n >> (8 * i));
}

}  // namespace

TransportKeys::~TransportKeys() {
  sodium_memzero(tx.data(), tx.size());
  sodium_memzero(rx.data(), rx.size());
}

NoiseHash hmac_blake2b(ByteView key, std::initializer_list<ByteView> data) {
  uint8_t pad[kHmacBlockSize] = {};
  std::copy(key.begin(), key.begin() + std::min(key.size(), kHmacBlockSize), pad);
  for (uint8_t& b : pad) b ^= 0x36;
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kNoiseHashSize);
  crypto_generichash_update(&state, pad, sizeof pad);
  for (ByteView part : data) crypto_generichash_update(&state, part.data(), part.size());
  NoiseHash inner;
  crypto_generichash_final(&state, inner.data(), inner.size());
  for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
  NoiseHash out = blake2b_512({ByteView(pad, sizeof pad), inner});
  sodium_memzero(pad, sizeof pad);
  sodium_memzero(inner.data(), inner.size());
  return out;
}

SymmetricState::SymmetricState(NoiseVariant variant) : variant_(variant) {
  std::string_view name = noise_protocol_name(variant);
  // Both names are shorter than HASHLEN, so h is the zero-padded name.
  std::copy(name.begin(), name.end(), h_.begin());
  ck_ = h_;
}

SymmetricState::~SymmetricState() {
  sodium_memzero(ck_.data(), ck_.size());
  sodium_memzero(k_.data(), k_.size());
}

void SymmetricState::mix_hash(ByteView data) { h_ = blake2b_512({h_, data}); }

void SymmetricState::mix_key(ByteView input_key_material) {
  auto [out1, out2] = hkdf(ck_, input_key_material);
  ck_ = out1;
  k_ = first_32(out2);
  n_ = 0;
  has_key_ = true;
  sodium_memzero(out2.data(), out2.size());
}

Result<Bytes> SymmetricState::encrypt_and_hash(ByteView plaintext) {
  Bytes out;
  if (!has_key_) {
    out.assign(plaintext.begin(), plaintext.end());
  } else {
    if (n_ == UINT64_MAX) return Error::protocol("noise handshake: nonce overflow");
    uint8_t nonce[24];
    aead_nonce(variant_, n_, nonce);
    out.resize(plaintext.size() + kNoiseTagSize);
    unsigned long long written = 0;
    if (variant_ == NoiseVariant::V7) {
      crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(),
                                                 plaintext.size(), h_.data(), h_.size(), nullptr,
                                                 nonce, k_.data());
    } else {
      crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(),
                                                plaintext.size(), h_.data(), h_.size(), nullptr,
                                                nonce, k_.data());
    }
    out.resize(written);
    ++n_;
  }
  mix_hash(out);
  return out;
}

Result<Bytes> SymmetricState::decrypt_and_hash(ByteView ciphertext) {
  Bytes out;
  if (!has_key_) {
    out.assign(ciphertext.begin(), ciphertext.end());
  } else {
    if (n_ == UINT64_MAX) return Error::protocol("noise handshake: nonce overflow");
    if (ciphertext.size() < kNoiseTagSize) {
      return Error::protocol("noise handshake: ciphertext of {} bytes is shorter than a tag",
                             ciphertext.size());
    }
    uint8_t nonce[24];
    aead_nonce(variant_, n_, nonce);
    out.resize(ciphertext.size() - kNoiseTagSize);
    unsigned long long written = 0;
    int rc;
    if (variant_ == NoiseVariant::V7) {
      rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &written, nullptr,
                                                      ciphertext.data(), ciphertext.size(),
                                                      h_.data(), h_.size(), nonce, k_.data());
    } else {
      rc = crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &written, nullptr,
                                                     ciphertext.data(), ciphertext.size(),
                                                     h_.data(), h_.size(), nonce, k_.data());
    }
    if (rc != 0) return Error::protocol("noise handshake: could not verify data");
    out.resize(written);
    ++n_;
  }
  mix_hash(ciphertext);
  return out;
}

std::pair<NoiseKey, NoiseKey> SymmetricState::split() const {
  auto [out1, out2] = hkdf(ck_, {});
  std::pair<NoiseKey, NoiseKey> keys{first_32(out1), first_32(out2)};
  sodium_memzero(out1.data(), out1.size());
  sodium_memzero(out2.data(), out2.size());
  return keys;
}

}  // namespace hypermount::crypto
