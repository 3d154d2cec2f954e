#include "wire/capability.hpp"

#include <sodium.h>

namespace hypermount::wire {
namespace {

constexpr std::string_view kCapabilityNamespace = "hypercore capability";

Capability compute(const crypto::NoiseKey& first, const crypto::NoiseKey& mac_key,
                   const crypto::PublicKey& feed_key) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, mac_key.data(), mac_key.size(), 32);
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(kCapabilityNamespace.data()),
                            kCapabilityNamespace.size());
  crypto_generichash_update(&state, first.data(), first.size());
  crypto_generichash_update(&state, feed_key.data(), feed_key.size());
  Capability out;
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

}  // namespace

Capability capability(const crypto::TransportKeys& keys, const crypto::PublicKey& feed_key) {
  return compute(keys.tx, keys.rx, feed_key);
}

Capability remote_capability(const crypto::TransportKeys& keys,
                             const crypto::PublicKey& feed_key) {
  return compute(keys.rx, keys.tx, feed_key);
}

bool capability_matches(ByteView received, const Capability& expected) {
  return received.size() == expected.size() &&
         sodium_memcmp(received.data(), expected.data(), expected.size()) == 0;
}

}  // namespace hypermount::wire
