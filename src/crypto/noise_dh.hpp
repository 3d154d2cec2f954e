// Noise DH functions of the two protocol versions (X25519 keys, v7 crypto_kx-derived or v8 plain).
// Pure functions; call crypto::init() first; then any thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <string_view>

namespace hypermount::crypto {

// Which noise-protocol the handshake matches (shared/spec/wire.md §3.4).
enum class NoiseVariant {
  V7,  // noise-protocol 1.0.0: XChaChaPoly, 64-byte crypto_kx session keys as the DH output
  V8,  // noise-protocol 3.0.1: ChaChaPoly, 32-byte plain X25519
};

// Which side of the Noise handshake; the initiator is the side that dialed.
enum class NoiseRole { Initiator, Responder };

constexpr size_t kDhPublicKeySize = 32;
constexpr size_t kDhSecretKeySize = 32;

using DhPublicKey = ByteArray<kDhPublicKeySize>;

// An X25519 secret scalar that wipes itself when destroyed.
class DhSecretKey {
 public:
  DhSecretKey() { bytes_.fill(0); }
  explicit DhSecretKey(const ByteArray<kDhSecretKeySize>& bytes) : bytes_(bytes) {}
  DhSecretKey(const DhSecretKey&) = default;
  DhSecretKey& operator=(const DhSecretKey&) = default;
  ~DhSecretKey();

  const ByteArray<kDhSecretKeySize>& bytes() const { return bytes_; }
  ByteArray<kDhSecretKeySize>& bytes() { return bytes_; }

 private:
  ByteArray<kDhSecretKeySize> bytes_;
};

// A Noise static or ephemeral key pair (libsodium crypto_kx form).
struct DhKeyPair {
  DhPublicKey public_key;
  DhSecretKey secret_key;
};

// "Noise_XX_25519_XChaChaPoly_BLAKE2b" (v7) or "Noise_XX_25519_ChaChaPoly_BLAKE2b" (v8).
std::string_view noise_protocol_name(NoiseVariant variant);
// Size of the DH output fed to MixKey: 64 in v7, 32 in v8.
size_t noise_dh_size(NoiseVariant variant);

// crypto_kx_keypair: a fresh random key pair.
DhKeyPair random_dh_key_pair();
// crypto_kx_seed_keypair: sk = BLAKE2b-256(seed), pk = X25519_base(sk).
DhKeyPair dh_key_pair_from_seed(const ByteArray<32>& seed);

// The DH of one Noise token between a local key pair and a remote public key, as the variant
// computes it. `role` is the local side's handshake role (v7 binds both public keys in the
// order initiator, responder). Error::protocol when X25519 yields the all-zero point (a
// low-order remote key), which aborts the handshake as in libsodium.
Result<Bytes> noise_dh(NoiseVariant variant, NoiseRole role, const DhKeyPair& local,
                       const DhPublicKey& remote);

}  // namespace hypermount::crypto
