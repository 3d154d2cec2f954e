#include "crypto/keys.hpp"

#include <sodium.h>

namespace hypermount::crypto {

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

bool init() { return sodium_init() >= 0; }

KeyPair random_key_pair() {
  KeyPair pair;
  crypto_sign_keypair(pair.public_key.data(), pair.secret_key.bytes().data());
  return pair;
}

KeyPair key_pair_from_seed(const ByteArray<32>& seed) {
  KeyPair pair;
  crypto_sign_seed_keypair(pair.public_key.data(), pair.secret_key.bytes().data(), seed.data());
  return pair;
}

PublicKey public_key_of(const SecretKey& secret_key) {
  PublicKey key;
  std::copy(secret_key.bytes().begin() + 32, secret_key.bytes().end(), key.begin());
  return key;
}

Signature sign(ByteView message, const SecretKey& secret_key) {
  Signature signature;
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       secret_key.bytes().data());
  return signature;
}

bool verify(ByteView message, const Signature& signature, const PublicKey& public_key) {
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

DiscoveryKey discovery_key(const PublicKey& public_key) {
  static constexpr char kContext[] = "hypercore";
  DiscoveryKey out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(kContext),
                     sizeof(kContext) - 1, public_key.data(), public_key.size());
  return out;
}

void blake2b(std::span<uint8_t> out, std::initializer_list<ByteView> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  for (ByteView part : parts) crypto_generichash_update(&state, part.data(), part.size());
  crypto_generichash_final(&state, out.data(), out.size());
}

Hash blake2b_256(std::initializer_list<ByteView> parts) {
  Hash out;
  blake2b(out, parts);
  return out;
}

void random_bytes(uint8_t* out, size_t size) { randombytes_buf(out, size); }

}  // namespace hypermount::crypto
