// Channel capabilities: proof of knowledge of a feed key bound to one Noise session (wire.md §5.3).
// Pure functions; usable from any thread.
#pragma once

#include "crypto/keys.hpp"
#include "crypto/noise_symmetric_state.hpp"

namespace hypermount::wire {

using Capability = ByteArray<32>;

// What this side sends in Open: BLAKE2b-256("hypercore capability" || tx || key, key = rx).
Capability capability(const crypto::TransportKeys& keys, const crypto::PublicKey& feed_key);
// What this side expects from the remote: the same with tx and rx swapped.
Capability remote_capability(const crypto::TransportKeys& keys,
                             const crypto::PublicKey& feed_key);
// Constant-time comparison of a received capability (any length) with the expected one.
bool capability_matches(ByteView received, const Capability& expected);

}  // namespace hypermount::wire
