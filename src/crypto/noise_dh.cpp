#include "crypto/noise_dh.hpp"

#include <sodium.h>

namespace hypermount::crypto {

DhSecretKey::~DhSecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::string_view noise_protocol_name(NoiseVariant variant) {
  return variant == NoiseVariant::V7 ? "Noise_XX_25519_XChaChaPoly_BLAKE2b"
                                     : "Noise_XX_25519_ChaChaPoly_BLAKE2b";
}

size_t noise_dh_size(NoiseVariant variant) { return variant == NoiseVariant::V7 ? 64 : 32; }

DhKeyPair random_dh_key_pair() {
  DhKeyPair pair;
  crypto_kx_keypair(pair.public_key.data(), pair.secret_key.bytes().data());
  return pair;
}

DhKeyPair dh_key_pair_from_seed(const ByteArray<32>& seed) {
  DhKeyPair pair;
  crypto_kx_seed_keypair(pair.public_key.data(), pair.secret_key.bytes().data(), seed.data());
  return pair;
}

Result<Bytes> noise_dh(NoiseVariant variant, NoiseRole role, const DhKeyPair& local,
                       const DhPublicKey& remote) {
  uint8_t shared[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(shared, local.secret_key.bytes().data(), remote.data()) != 0) {
    sodium_memzero(shared, sizeof shared);
    return Error::protocol("noise handshake: X25519 with the remote key gives the zero point");
  }
  if (variant == NoiseVariant::V8) {
    Bytes out(shared, shared + sizeof shared);
    sodium_memzero(shared, sizeof shared);
    return out;
  }
  // v7: libsodium crypto_kx session keys. K = BLAKE2b-512(q || client_pk || server_pk) where the
  // Noise initiator is the kx client; both sides lay the output out as K[32..64) || K[0..32).
  const DhPublicKey& client = role == NoiseRole::Initiator ? local.public_key : remote;
  const DhPublicKey& server = role == NoiseRole::Initiator ? remote : local.public_key;
  uint8_t keys[64];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof keys);
  crypto_generichash_update(&state, shared, sizeof shared);
  crypto_generichash_update(&state, client.data(), client.size());
  crypto_generichash_update(&state, server.data(), server.size());
  crypto_generichash_final(&state, keys, sizeof keys);
  Bytes out(64);
  std::copy(keys + 32, keys + 64, out.begin());
  std::copy(keys, keys + 32, out.begin() + 32);
  sodium_memzero(keys, sizeof keys);
  sodium_memzero(shared, sizeof shared);
  sodium_memzero(&state, sizeof state);
  return out;
}

}  // namespace hypermount::crypto
