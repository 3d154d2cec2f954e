// Helpers shared by the wire unit tests: hex decoding and key setup from the JS vectors.
// Test code only; single-threaded.
#pragma once

#include "crypto/keys.hpp"
#include "crypto/noise_dh.hpp"
#include "util/bytes.hpp"
#include "vectors.hpp"
#include "wire/handshake.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <string>

namespace hypermount::test {

inline Bytes hex(const std::string& text) {
  auto bytes = from_hex(text);
  REQUIRE(bytes.has_value());
  return *bytes;
}

template <size_t N>
ByteArray<N> hex_array(const std::string& text) {
  auto bytes = array_from_hex<N>(text);
  REQUIRE(bytes.has_value());
  return *bytes;
}

inline Bytes vec(const auto& array) { return Bytes(array.begin(), array.end()); }

// Key pair from a crypto_kx seed given as hex.
inline crypto::DhKeyPair kx_pair(const std::string& seed_hex) {
  REQUIRE(crypto::init());
  return crypto::dh_key_pair_from_seed(hex_array<32>(seed_hex));
}

// Handshake options of one side of the recorded vectors ("initiator" / "responder" objects of
// wire-handshake-v*.json, which carry the seeds and the payload nonce).
inline wire::HandshakeOptions vector_options(const nlohmann::json& side, crypto::NoiseRole role,
                                             wire::ProtocolVersion version) {
  wire::HandshakeOptions options;
  options.role = role;
  options.version = version;
  options.static_key = kx_pair(side["staticSeed"]);
  options.ephemeral_key = kx_pair(side["ephemeralSeed"]);
  options.payload_nonce = hex_array<24>(side["payloadNonce"]);
  return options;
}

}  // namespace hypermount::test
