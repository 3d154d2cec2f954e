#include "crypto/noise_handshake.hpp"

#include <array>
#include <span>

namespace hypermount::crypto {
namespace {

// Message patterns of XX; even steps are written by the initiator.
using Tok = NoiseToken;
constexpr std::array<std::array<Tok, 4>, 3> kPatterns = {{
    {Tok::E},
    {Tok::E, Tok::EE, Tok::S, Tok::ES},
    {Tok::S, Tok::SE},
}};
constexpr std::array<size_t, 3> kPatternLength = {1, 4, 2};

DhPublicKey read_key(ByteView bytes) {
  DhPublicKey key;
  std::copy(bytes.begin(), bytes.begin() + kDhPublicKeySize, key.begin());
  return key;
}

}  // namespace

XxHandshake::XxHandshake(NoiseVariant variant, NoiseRole role, const DhKeyPair& static_key,
                         const DhKeyPair& ephemeral_key)
    : variant_(variant),
      role_(role),
      symmetric_(variant),
      static_(static_key),
      ephemeral_(ephemeral_key) {
  symmetric_.mix_hash({});  // empty prologue
}

bool XxHandshake::is_my_turn() const {
  if (finished() || failed_) return false;
  bool initiator_step = step_ % 2 == 0;
  return initiator_step == (role_ == NoiseRole::Initiator);
}

Status XxHandshake::mix_dh(NoiseToken token) {
  bool initiator = role_ == NoiseRole::Initiator;
  const DhKeyPair* local = nullptr;
  const std::optional<DhPublicKey>* remote = nullptr;
  switch (token) {
    case Tok::EE:
      local = &ephemeral_;
      remote = &remote_ephemeral_;
      break;
    case Tok::ES:  // initiator's e with responder's s
      local = initiator ? &ephemeral_ : &static_;
      remote = initiator ? &remote_static_ : &remote_ephemeral_;
      break;
    case Tok::SE:  // initiator's s with responder's e
      local = initiator ? &static_ : &ephemeral_;
      remote = initiator ? &remote_ephemeral_ : &remote_static_;
      break;
    default:
      return Error::invalid("noise handshake: not a DH token");
  }
  if (!remote->has_value()) return Error::protocol("noise handshake: remote key missing");
  HM_TRY_ASSIGN(Bytes shared, noise_dh(variant_, role_, *local, **remote));
  symmetric_.mix_key(shared);
  std::fill(shared.begin(), shared.end(), 0);
  return {};
}

Result<Bytes> XxHandshake::write_message(ByteView payload) {
  if (!is_my_turn()) return Error::invalid("noise handshake: not our turn to write");
  Bytes out;
  for (size_t i = 0; i < kPatternLength[step_]; ++i) {
    Tok tok = kPatterns[step_][i];
    if (tok == Tok::E) {
      out.insert(out.end(), ephemeral_.public_key.begin(), ephemeral_.public_key.end());
      symmetric_.mix_hash(ephemeral_.public_key);
    } else if (tok == Tok::S) {
      auto sealed = symmetric_.encrypt_and_hash(static_.public_key);
      if (!sealed) {
        failed_ = true;
        return sealed.error();
      }
      out.insert(out.end(), sealed->begin(), sealed->end());
    } else {
      Status mixed = mix_dh(tok);
      if (!mixed) {
        failed_ = true;
        return mixed.error();
      }
    }
  }
  auto sealed = symmetric_.encrypt_and_hash(payload);
  if (!sealed) {
    failed_ = true;
    return sealed.error();
  }
  out.insert(out.end(), sealed->begin(), sealed->end());
  if (out.size() > kMaxNoiseMessageSize) {
    failed_ = true;
    return Error::invalid("noise handshake: message of {} bytes is too large", out.size());
  }
  ++step_;
  if (finished()) finish();
  return out;
}

Result<Bytes> XxHandshake::read_message(ByteView message) {
  if (finished() || failed_ || is_my_turn()) {
    return Error::protocol("noise handshake: unexpected message {}", step_ + 1);
  }
  auto fail = [this](Error error) -> Result<Bytes> {
    failed_ = true;
    return error;
  };
  if (message.size() > kMaxNoiseMessageSize) {
    return fail(Error::protocol("noise handshake: message of {} bytes", message.size()));
  }
  size_t offset = 0;
  for (size_t i = 0; i < kPatternLength[step_]; ++i) {
    Tok tok = kPatterns[step_][i];
    if (tok == Tok::E) {
      if (message.size() - offset < kDhPublicKeySize) {
        return fail(Error::protocol("noise handshake: message {} too short for e", step_ + 1));
      }
      remote_ephemeral_ = read_key(message.subspan(offset));
      symmetric_.mix_hash(message.subspan(offset, kDhPublicKeySize));
      offset += kDhPublicKeySize;
    } else if (tok == Tok::S) {
      size_t size = kDhPublicKeySize + (symmetric_.has_key() ? kNoiseTagSize : 0);
      if (message.size() - offset < size) {
        return fail(Error::protocol("noise handshake: message {} too short for s", step_ + 1));
      }
      auto key = symmetric_.decrypt_and_hash(message.subspan(offset, size));
      if (!key) return fail(key.error());
      remote_static_ = read_key(*key);
      offset += size;
    } else {
      Status mixed = mix_dh(tok);
      if (!mixed) return fail(mixed.error());
    }
  }
  auto payload = symmetric_.decrypt_and_hash(message.subspan(offset));
  if (!payload) return fail(payload.error());
  ++step_;
  if (finished()) finish();
  return payload;
}

void XxHandshake::finish() {
  auto [first, second] = symmetric_.split();
  // The initiator sends with the first key; the responder receives with it.
  if (role_ == NoiseRole::Initiator) {
    keys_.tx = first;
    keys_.rx = second;
  } else {
    keys_.tx = second;
    keys_.rx = first;
  }
}

}  // namespace hypermount::crypto
