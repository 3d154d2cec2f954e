// Ed25519 feed key pairs, signatures, discovery keys and BLAKE2b hashing (libsodium wrappers).
// Pure functions; call crypto::init() once before use; then any thread.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <initializer_list>

namespace hypermount::crypto {

constexpr size_t kPublicKeySize = 32;
constexpr size_t kSecretKeySize = 64;  // libsodium form: seed(32) || public key(32)
constexpr size_t kSignatureSize = 64;
constexpr size_t kHashSize = 32;

using PublicKey = ByteArray<kPublicKeySize>;
using DiscoveryKey = ByteArray<kHashSize>;
using Hash = ByteArray<kHashSize>;
using Signature = ByteArray<kSignatureSize>;

// A 64-byte Ed25519 secret key that wipes itself when destroyed.
class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(const ByteArray<kSecretKeySize>& bytes) : bytes_(bytes) {}
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  const ByteArray<kSecretKeySize>& bytes() const { return bytes_; }
  ByteArray<kSecretKeySize>& bytes() { return bytes_; }

 private:
  ByteArray<kSecretKeySize> bytes_;
};

struct KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// Initialises libsodium; false if it cannot be initialised (then nothing here may be used).
bool init();

KeyPair random_key_pair();
KeyPair key_pair_from_seed(const ByteArray<32>& seed);
// The public key embedded in a secret key (its last 32 bytes).
PublicKey public_key_of(const SecretKey& secret_key);

Signature sign(ByteView message, const SecretKey& secret_key);
bool verify(ByteView message, const Signature& signature, const PublicKey& public_key);

// BLAKE2b-256("hypercore", key = public key): what peers announce (spec hypercore.md §1.2).
DiscoveryKey discovery_key(const PublicKey& public_key);

// Unkeyed BLAKE2b with an `out_size`-byte output (16..64) over the concatenation of the parts.
void blake2b(std::span<uint8_t> out, std::initializer_list<ByteView> parts);
// Unkeyed BLAKE2b-256 over the concatenation of the parts.
Hash blake2b_256(std::initializer_list<ByteView> parts);

void random_bytes(uint8_t* out, size_t size);

}  // namespace hypermount::crypto
