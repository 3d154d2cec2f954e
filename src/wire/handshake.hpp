// Drives the Noise XX handshake over handshake frames, with v7/v8/auto version selection
// (wire.md §2.1, §3, §10). No I/O: fed bytes, returns bytes. Use from the owner's thread.
#pragma once

#include "crypto/noise_handshake.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/frame_decoder.hpp"

#include <memory>
#include <optional>

namespace hypermount::wire {

enum class ProtocolVersion {
  V7,    // hypercore-protocol 7 (hypercore 8, hyperdrive 10.8)
  V8,    // hypercore-protocol 8 (hypercore 9, hyperdrive 10.21)
  Auto,  // initiator: detect the responder's version by trial decryption of message 2 (§10)
};

const char* protocol_version_name(ProtocolVersion version);

constexpr size_t kPayloadNonceSize = 24;
using PayloadNonce = ByteArray<kPayloadNonceSize>;

struct HandshakeOptions {
  crypto::NoiseRole role = crypto::NoiseRole::Initiator;
  ProtocolVersion version = ProtocolVersion::Auto;
  // A responder cannot detect the version (message 1 is identical in both): with Auto it
  // answers with this one, which must be V7 or V8.
  ProtocolVersion responder_version = ProtocolVersion::V8;
  crypto::DhKeyPair static_key;
  // Fixed values reproduce recorded handshakes; left empty they are random, as they must be
  // for real connections.
  std::optional<crypto::DhKeyPair> ephemeral_key;
  std::optional<PayloadNonce> payload_nonce;
};

// What a finished handshake hands to the transport.
struct HandshakeResult {
  ProtocolVersion version = ProtocolVersion::V8;  // V7 or V8, never Auto
  crypto::TransportKeys keys;
  crypto::NoiseHash handshake_hash{};
  crypto::DhPublicKey remote_static_key{};
  PayloadNonce local_nonce{};   // XSalsa20 nonce of what this side sends
  PayloadNonce remote_nonce{};  // XSalsa20 nonce of what it receives
};

class HandshakeMachine {
 public:
  explicit HandshakeMachine(HandshakeOptions options);
  ~HandshakeMachine();
  HandshakeMachine(const HandshakeMachine&) = delete;
  HandshakeMachine& operator=(const HandshakeMachine&) = delete;

  // The initiator's first frame (varint(58) || message 1); empty for a responder. Call once.
  Result<Bytes> start();

  struct Step {
    size_t consumed = 0;  // input bytes that belonged to the handshake
    Bytes output;         // frames to send (message 2 or 3)
    size_t messages = 0;  // complete handshake messages received
  };
  // Consumes handshake frames from input, stopping right after the last one: the rest of the
  // input is transport data. Error::protocol on a bad frame or a failed Noise step ("Noise
  // handshake error"); the connection must then be dropped.
  Result<Step> receive(ByteView input);

  bool finished() const { return result_.has_value(); }
  // Valid once finished().
  const HandshakeResult& result() const { return *result_; }
  // The remote static key as soon as it is known (before finished() on the initiator).
  std::optional<crypto::DhPublicKey> remote_static_key() const;

 private:
  Result<Bytes> on_message(ByteView message);
  Status complete();

  HandshakeOptions options_;
  PayloadNonce local_nonce_{};
  Bytes local_payload_;
  std::optional<Bytes> remote_payload_;
  // One handshake, or for an Auto initiator before message 2 one per version.
  std::unique_ptr<crypto::XxHandshake> v7_;
  std::unique_ptr<crypto::XxHandshake> v8_;
  LengthPrefixedDecoder frames_;
  std::optional<HandshakeResult> result_;
};

}  // namespace hypermount::wire
