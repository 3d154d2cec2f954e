// libFuzzer target for the Noise XX handshake and the session after it (wire.md §3, §10): a
// wire::Session as initiator or responder, v7, v8 or auto, against raw bytes or a real peer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "crypto/noise_handshake.hpp"
#include "fuzz_reader.hpp"
#include "util/varint.hpp"
#include "wire/session.hpp"
#include "wire/transport_cipher.hpp"

using namespace hypermount;
using fuzz::Reader;
using crypto::NoiseRole;
using crypto::NoiseVariant;
using wire::ProtocolVersion;

// Input: a config byte (bit 0 we respond, bits 1-2 v7/v8/auto/auto, bit 3 an auto side's
// version is v7, bit 4 raw, bits 5-6 chunk size, bit 7 the peer speaks the other version),
// then either the peer's raw bytes, or per message the peer writes a length byte L, L payload
// bytes and a byte flipping one byte of the Noise message (0: none), then plaintext transport
// bytes the peer encrypts after the handshake. Keys and nonces are fixed: inputs reproduce.
// Seeds: tests/fuzz/make_seeds.py (from the recorded handshakes; none when they are missing).
namespace {

crypto::DhKeyPair key_from(uint8_t tag) {
  ByteArray<32> seed{};
  seed.fill(tag);
  return crypto::dh_key_pair_from_seed(seed);
}

struct Keys {
  crypto::DhKeyPair ours_static = key_from(1);
  crypto::DhKeyPair ours_ephemeral = key_from(2);
  crypto::DhKeyPair peer_static = key_from(3);
  crypto::DhKeyPair peer_ephemeral = key_from(4);
};

const Keys& keys() {
  static const bool ready = crypto::init();
  if (!ready) std::abort();
  static const Keys k;
  return k;
}

// Feeds bytes to the session in chunks; a failed session must stay failed.
bool feed(wire::Session& session, ByteView bytes, size_t chunk) {
  while (!bytes.empty()) {
    size_t take = chunk < bytes.size() ? chunk : bytes.size();
    Status fed = session.receive(bytes.first(take));
    bytes = bytes.subspan(take);
    (void)session.take_events();
    if (!fed) {
      if (!session.failed() || session.receive(bytes).ok()) std::abort();
      return false;
    }
  }
  return true;
}

// The session's output is handshake frames varint(L) || message; returns the first message.
std::optional<Bytes> first_message(ByteView output) {
  auto length = get_varint(output);
  if (!length || *length > output.size()) return std::nullopt;
  return Bytes(output.begin(), output.begin() + static_cast<ptrdiff_t>(*length));
}

// The peer writes its next message with a fuzz payload (kept in `payload`), possibly tampered.
Bytes peer_message(crypto::XxHandshake& peer, Reader& reader, Bytes& payload, bool& tampered) {
  ByteView chosen = reader.take(reader.byte());
  payload.assign(chosen.begin(), chosen.end());
  auto message = peer.write_message(payload);
  if (!message) std::abort();  // the peer's own turn: nothing the input decides can fail it
  uint8_t flip = reader.byte();
  if (flip != 0 && !message->empty()) {
    (*message)[flip % message->size()] ^= static_cast<uint8_t>(flip | 1);
    tampered = true;
  }
  Bytes framed;
  put_varint(framed, message->size());
  framed.insert(framed.end(), message->begin(), message->end());
  return framed;
}

void run_with_peer(wire::SessionOptions options, NoiseVariant peer_variant, size_t chunk,
                   Reader reader) {
  const Keys& k = keys();
  NoiseRole peer_role =
      options.role == NoiseRole::Initiator ? NoiseRole::Responder : NoiseRole::Initiator;
  crypto::XxHandshake peer(peer_variant, peer_role, k.peer_static, k.peer_ephemeral);
  wire::Session session(std::move(options));
  bool tampered = false;
  Bytes last_payload;
  while (!peer.finished() && !peer.failed()) {
    if (peer.is_my_turn()) {
      Bytes payload;
      Bytes framed = peer_message(peer, reader, payload, tampered);
      if (!payload.empty()) last_payload = std::move(payload);
      if (!feed(session, framed, chunk)) return;
    } else {
      auto message = first_message(session.take_output());
      if (!message) return;
      if (!peer.read_message(*message)) return;
    }
  }
  if (!peer.finished()) return;
  // The peer's last message is in; the session finished unless it refused the payload.
  (void)session.take_output();
  if (!session.handshake_finished()) return;
  const wire::HandshakeResult& result = session.handshake();
  // A completed handshake names the peer's version and its authenticated static key, and no
  // tampered message can complete one.
  ProtocolVersion expected =
      peer_variant == NoiseVariant::V7 ? ProtocolVersion::V7 : ProtocolVersion::V8;
  if (tampered || result.version != expected ||
      result.remote_static_key != k.peer_static.public_key ||
      result.keys.rx != peer.transport_keys().tx) {
    std::abort();
  }
  // Transport bytes, encrypted as the peer would.
  auto nonce = wire::decode_noise_payload(last_payload);
  if (!nonce) std::abort();
  Bytes plain(reader.in.begin(), reader.in.end());
  wire::StreamCipher cipher(peer.transport_keys().tx, *nonce);
  cipher.apply(plain);
  (void)feed(session, plain, chunk);
  (void)session.take_output();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Keys& k = keys();
  if (size == 0) return 0;
  const uint8_t config = data[0];
  wire::SessionOptions options;
  options.role = (config & 1) ? NoiseRole::Responder : NoiseRole::Initiator;
  const ProtocolVersion versions[] = {ProtocolVersion::V7, ProtocolVersion::V8,
                                      ProtocolVersion::Auto, ProtocolVersion::Auto};
  options.version = versions[(config >> 1) & 3];
  options.responder_version = (config & 8) ? ProtocolVersion::V7 : ProtocolVersion::V8;
  options.static_key = k.ours_static;
  options.ephemeral_key = k.ours_ephemeral;
  options.payload_nonce = wire::PayloadNonce{};
  const size_t chunks[] = {size, 1, 7, 64};
  const size_t chunk = chunks[(config >> 5) & 3];
  Reader reader{ByteView(data + 1, size - 1)};
  if (config & 16) {
    wire::Session session(std::move(options));
    (void)feed(session, reader.in, chunk);
    (void)session.take_output();
    return 0;
  }
  // The peer speaks the version the session expects (an auto initiator's from bit 3), or with
  // bit 7 the other one, which only an auto initiator may accept.
  bool v7 = options.version == ProtocolVersion::V7 ||
            (options.version == ProtocolVersion::Auto && (config & 8));
  if (config & 128) v7 = !v7;
  const NoiseVariant peer_variant = v7 ? NoiseVariant::V7 : NoiseVariant::V8;
  run_with_peer(std::move(options), peer_variant, chunk, reader);
  return 0;
}
