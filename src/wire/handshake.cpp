#include "wire/handshake.hpp"

#include "crypto/keys.hpp"
#include "util/varint.hpp"
#include "wire/messages.hpp"

namespace hypermount::wire {
namespace {

using crypto::NoiseRole;
using crypto::NoiseVariant;
using crypto::XxHandshake;

Bytes frame_handshake_message(ByteView message) {
  Bytes out;
  out.reserve(varint_size(message.size()) + message.size());
  put_varint(out, message.size());
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace

const char* protocol_version_name(ProtocolVersion version) {
  switch (version) {
    case ProtocolVersion::V7: return "v7";
    case ProtocolVersion::V8: return "v8";
    case ProtocolVersion::Auto: return "auto";
  }
  return "?";
}

HandshakeMachine::HandshakeMachine(HandshakeOptions options)
    : options_(std::move(options)), frames_(crypto::kMaxNoiseMessageSize) {
  if (options_.payload_nonce) {
    local_nonce_ = *options_.payload_nonce;
  } else {
    crypto::random_bytes(local_nonce_.data(), local_nonce_.size());
  }
  local_payload_ = encode_noise_payload(local_nonce_);
  crypto::DhKeyPair ephemeral =
      options_.ephemeral_key ? *options_.ephemeral_key : crypto::random_dh_key_pair();
  ProtocolVersion version = options_.version;
  if (version == ProtocolVersion::Auto && options_.role == NoiseRole::Responder) {
    version = options_.responder_version == ProtocolVersion::V7 ? ProtocolVersion::V7
                                                                : ProtocolVersion::V8;
  }
  if (version != ProtocolVersion::V8) {
    v7_ = std::make_unique<XxHandshake>(NoiseVariant::V7, options_.role, options_.static_key,
                                        ephemeral);
  }
  if (version != ProtocolVersion::V7) {
    v8_ = std::make_unique<XxHandshake>(NoiseVariant::V8, options_.role, options_.static_key,
                                        ephemeral);
  }
}

HandshakeMachine::~HandshakeMachine() = default;

Result<Bytes> HandshakeMachine::start() {
  if (options_.role != NoiseRole::Initiator) return Bytes();
  // Message 1 is e || payload in clear: identical bytes in both versions (wire.md §10).
  Bytes message;
  for (auto* hs : {v7_.get(), v8_.get()}) {
    if (hs == nullptr) continue;
    HM_TRY_ASSIGN(message, hs->write_message(local_payload_));
  }
  return frame_handshake_message(message);
}

Result<HandshakeMachine::Step> HandshakeMachine::receive(ByteView input) {
  Step step;
  while (!finished() && step.consumed < input.size()) {
    HM_TRY_ASSIGN(LengthPrefixedDecoder::Step unit, frames_.next(input.subspan(step.consumed)));
    step.consumed += unit.consumed;
    if (!unit.payload) continue;
    ++step.messages;
    HM_TRY_ASSIGN(Bytes reply, on_message(*unit.payload));
    step.output.insert(step.output.end(), reply.begin(), reply.end());
  }
  return step;
}

Result<Bytes> HandshakeMachine::on_message(ByteView message) {
  Bytes payload;
  if (v7_ && v8_ && options_.role == NoiseRole::Initiator) {
    // Auto initiator on message 2: exactly one version's tag verifies (wire.md §10).
    auto as_v7 = v7_->read_message(message);
    auto as_v8 = v8_->read_message(message);
    if (as_v7) {
      payload = std::move(as_v7).value();
      v8_.reset();
    } else if (as_v8) {
      payload = std::move(as_v8).value();
      v7_.reset();
    } else {
      return Error::protocol("Noise handshake error: message 2 is neither v7 nor v8 ({})",
                             as_v8.error().message());
    }
  } else {
    XxHandshake& hs = v7_ ? *v7_ : *v8_;
    auto read = hs.read_message(message);
    if (!read) return Error::protocol("Noise handshake error: {}", read.error().message());
    payload = std::move(read).value();
  }
  if (!payload.empty()) remote_payload_ = std::move(payload);

  XxHandshake& hs = v7_ ? *v7_ : *v8_;
  Bytes out;
  if (hs.is_my_turn()) {
    HM_TRY_ASSIGN(Bytes reply, hs.write_message(local_payload_));
    out = frame_handshake_message(reply);
  }
  if (hs.finished()) HM_TRY(complete());
  return out;
}

Status HandshakeMachine::complete() {
  const XxHandshake& hs = v7_ ? *v7_ : *v8_;
  if (!remote_payload_) return Error::protocol("remote did not include a handshake payload");
  auto remote_nonce = decode_noise_payload(*remote_payload_);
  if (!remote_nonce) return Error::protocol("could not parse remote payload");
  HandshakeResult result;
  result.version = v7_ ? ProtocolVersion::V7 : ProtocolVersion::V8;
  result.keys = hs.transport_keys();
  result.handshake_hash = hs.handshake_hash();
  result.remote_static_key = *hs.remote_static_key();
  result.local_nonce = local_nonce_;
  result.remote_nonce = *remote_nonce;
  result_ = std::move(result);
  return {};
}

std::optional<crypto::DhPublicKey> HandshakeMachine::remote_static_key() const {
  for (auto* hs : {v7_.get(), v8_.get()}) {
    if (hs != nullptr && hs->remote_static_key()) return hs->remote_static_key();
  }
  return std::nullopt;
}

}  // namespace hypermount::wire
