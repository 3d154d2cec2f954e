// The Noise XX handshake state machine of hypercore-protocol v7/v8 (wire.md §3), no I/O.
// Owned by one connection; not thread-safe, use from the owner's thread (the loop thread).
#pragma once

#include "crypto/noise_dh.hpp"
#include "crypto/noise_symmetric_state.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <optional>

namespace hypermount::crypto {

// Largest Noise message (noise-protocol's buffer size).
constexpr size_t kMaxNoiseMessageSize = 65535;

// The tokens of a Noise message pattern.
enum class NoiseToken { E, S, EE, ES, SE };

// Pattern XX, empty prologue:  -> e   <- e, ee, s, es   -> s, se.
// Deterministic given the key pairs, so recorded handshakes can be reproduced.
class XxHandshake {
 public:
  // The static key pair identifies this side; the ephemeral one must be fresh per handshake
  // (random_dh_key_pair()) except in tests.
  XxHandshake(NoiseVariant variant, NoiseRole role, const DhKeyPair& static_key,
              const DhKeyPair& ephemeral_key);

  // True when the next step is write_message (initiator first, then alternating).
  bool is_my_turn() const;
  bool finished() const { return step_ == 3; }
  bool failed() const { return failed_; }

  // Produces the next handshake message carrying `payload` (encrypted once a key exists).
  // Error::invalid when it is not this side's turn; errors leave the handshake failed.
  Result<Bytes> write_message(ByteView payload);
  // Consumes the remote's next message and returns its decrypted payload. Error::protocol on a
  // short message, a bad tag or a bad key ("Noise handshake error"); the handshake is then
  // failed and must be dropped.
  Result<Bytes> read_message(ByteView message);

  NoiseVariant variant() const { return variant_; }
  NoiseRole role() const { return role_; }
  const DhPublicKey& local_static_key() const { return static_.public_key; }
  // The remote static key once received (message 2 on the initiator, 3 on the responder).
  const std::optional<DhPublicKey>& remote_static_key() const { return remote_static_; }
  // Valid once finished(): the split keys for this side's directions and the final h.
  const TransportKeys& transport_keys() const { return keys_; }
  const NoiseHash& handshake_hash() const { return symmetric_.handshake_hash(); }
  // The state, for tests that compare ck/h/k against recorded traces.
  const SymmetricState& symmetric_state_for_test() const { return symmetric_; }

 private:
  Status mix_dh(NoiseToken token);
  void finish();

  NoiseVariant variant_;
  NoiseRole role_;
  SymmetricState symmetric_;
  DhKeyPair static_;
  DhKeyPair ephemeral_;
  std::optional<DhPublicKey> remote_ephemeral_;
  std::optional<DhPublicKey> remote_static_;
  TransportKeys keys_;
  int step_ = 0;  // index of the next message pattern, 3 when done
  bool failed_ = false;
};

}  // namespace hypermount::crypto
