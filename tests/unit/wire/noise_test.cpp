#include "crypto/noise_handshake.hpp"

#include "wire/capability.hpp"
#include "wire/messages.hpp"
#include "wire/transport_cipher.hpp"
#include "wire_test_support.hpp"

#include <doctest/doctest.h>

namespace hypermount {
namespace {

using crypto::NoiseRole;
using crypto::NoiseVariant;
using test::hex;
using test::hex_array;
using test::vec;

struct VersionCase {
  const char* file;
  NoiseVariant variant;
};
const VersionCase kVersions[] = {{"wire-handshake-v7.json", NoiseVariant::V7},
                                 {"wire-handshake-v8.json", NoiseVariant::V8}};

// Strips the one-byte varint length prefix of a recorded handshake frame.
Bytes noise_message(const nlohmann::json& message) {
  Bytes raw = hex(message["raw"]);
  REQUIRE(raw.size() == static_cast<size_t>(message["noiseMessageLength"]) + 1);
  REQUIRE(raw[0] == raw.size() - 1);
  return Bytes(raw.begin() + 1, raw.end());
}

TEST_CASE("noise: seeded key pairs match crypto_kx_seed_keypair of the vectors") {
  for (const auto& version : kVersions) {
    auto v = test::load_vectors(version.file);
    for (const char* side : {"initiator", "responder"}) {
      auto s = test::kx_pair(v[side]["staticSeed"]);
      CHECK(to_hex(s.public_key) == v[side]["staticPublicKey"]);
      CHECK(to_hex(s.secret_key.bytes()) == v[side]["staticSecretKey"]);
      auto e = test::kx_pair(v[side]["ephemeralSeed"]);
      CHECK(to_hex(e.public_key) == v[side]["ephemeralPublicKey"]);
      CHECK(to_hex(e.secret_key.bytes()) == v[side]["ephemeralSecretKey"]);
    }
  }
}

TEST_CASE("noise: initialize + empty prologue gives the recorded h") {
  for (const auto& version : kVersions) {
    auto v = test::load_vectors(version.file);
    crypto::SymmetricState state(version.variant);
    const auto& init = v["trace"]["initiator"][0];
    CHECK(init["op"] == "initializeSymmetric");
    CHECK(to_hex(state.handshake_hash()) == init["h"]);
    CHECK(to_hex(state.chaining_key()) == init["ck"]);
    state.mix_hash({});
    CHECK(to_hex(state.handshake_hash()) == v["trace"]["initiator"][1]["h"]);
  }
  crypto::SymmetricState v7(NoiseVariant::V7);
  v7.mix_hash({});
  CHECK(to_hex(v7.handshake_hash()).starts_with("a53ae827a2472c31c3936465562556ae"));
}

TEST_CASE("noise: every recorded DH output and mixKey result is reproduced") {
  for (const auto& version : kVersions) {
    auto v = test::load_vectors(version.file);
    for (const char* side : {"initiator", "responder"}) {
      NoiseRole role = std::string(side) == "initiator" ? NoiseRole::Initiator
                                                         : NoiseRole::Responder;
      const auto& trace = v["trace"][side];
      int dh_count = 0;
      for (size_t i = 0; i < trace.size(); ++i) {
        std::string op = trace[i]["op"];
        if (!op.starts_with("dh.")) continue;
        ++dh_count;
        const auto& args = trace[i]["args"];
        crypto::DhKeyPair local;
        crypto::DhPublicKey remote;
        if (version.variant == NoiseVariant::V7) {  // args: local pk, local sk, remote pk
          local.public_key = hex_array<32>(args[0]);
          local.secret_key = crypto::DhSecretKey(hex_array<32>(args[1]));
          remote = hex_array<32>(args[2]);
        } else {  // args: local sk, remote pk
          local.secret_key = crypto::DhSecretKey(hex_array<32>(args[0]));
          crypto_scalarmult_base(local.public_key.data(), local.secret_key.bytes().data());
          remote = hex_array<32>(args[1]);
        }
        auto out = crypto::noise_dh(version.variant, role, local, remote);
        REQUIRE(out.ok());
        CHECK(to_hex(*out) == trace[i]["output"]);
        CHECK(out->size() == crypto::noise_dh_size(version.variant));
        // The next op is the mixKey of that output.
        REQUIRE(trace[i + 1]["op"] == "mixKey");
        CHECK(trace[i + 1]["input"] == trace[i]["output"]);
      }
      CHECK(dh_count == 3);
    }
  }
}

TEST_CASE("noise: XX handshake reproduces the recorded messages, split and hash") {
  for (const auto& version : kVersions) {
    CAPTURE(version.file);
    auto v = test::load_vectors(version.file);
    auto payload_i = wire::encode_noise_payload(hex(v["initiator"]["payloadNonce"]));
    auto payload_r = wire::encode_noise_payload(hex(v["responder"]["payloadNonce"]));
    CHECK(to_hex(payload_i) == v["messages"][0]["payloadPlaintext"]);
    crypto::XxHandshake initiator(version.variant, NoiseRole::Initiator,
                                  test::kx_pair(v["initiator"]["staticSeed"]),
                                  test::kx_pair(v["initiator"]["ephemeralSeed"]));
    crypto::XxHandshake responder(version.variant, NoiseRole::Responder,
                                  test::kx_pair(v["responder"]["staticSeed"]),
                                  test::kx_pair(v["responder"]["ephemeralSeed"]));
    CHECK(initiator.is_my_turn());
    CHECK_FALSE(responder.is_my_turn());

    auto m1 = initiator.write_message(payload_i);
    REQUIRE(m1.ok());
    CHECK(to_hex(*m1) == to_hex(noise_message(v["messages"][0])));
    auto p1 = responder.read_message(*m1);
    REQUIRE(p1.ok());
    CHECK(*p1 == payload_i);

    auto m2 = responder.write_message(payload_r);
    REQUIRE(m2.ok());
    CHECK(to_hex(*m2) == to_hex(noise_message(v["messages"][1])));
    auto p2 = initiator.read_message(*m2);
    REQUIRE(p2.ok());
    CHECK(to_hex(*p2) == v["messages"][1]["payloadPlaintext"]);
    REQUIRE(initiator.remote_static_key().has_value());
    CHECK(to_hex(*initiator.remote_static_key()) == v["initiator"]["remotePublicKeySeen"]);

    auto m3 = initiator.write_message(payload_i);
    REQUIRE(m3.ok());
    CHECK(to_hex(*m3) == to_hex(noise_message(v["messages"][2])));
    auto p3 = responder.read_message(*m3);
    REQUIRE(p3.ok());
    CHECK(to_hex(*p3) == v["messages"][2]["payloadPlaintext"]);
    CHECK(to_hex(*responder.remote_static_key()) == v["responder"]["remotePublicKeySeen"]);

    REQUIRE(initiator.finished());
    REQUIRE(responder.finished());
    for (auto [hs, side] : {std::pair{&initiator, "initiator"}, std::pair{&responder, "responder"}}) {
      std::string tx = v[side]["split"]["tx"];
      std::string rx = v[side]["split"]["rx"];
      CHECK(to_hex(hs->transport_keys().tx) == tx.substr(0, 64));
      CHECK(to_hex(hs->transport_keys().rx) == rx.substr(0, 64));
      CHECK(to_hex(hs->handshake_hash()) == v[side]["handshakeHash"]);
      const auto& trace = v["trace"][side];
      CHECK(to_hex(hs->symmetric_state_for_test().chaining_key()) == trace.back()["ck"]);
    }
  }
}

TEST_CASE("noise: transport keystream and capabilities of the vector keys") {
  for (const auto& version : kVersions) {
    auto v = test::load_vectors(version.file);
    auto feed_key = hex_array<32>(v["feed"]["publicKey"]);
    for (const char* side : {"initiator", "responder"}) {
      const char* other = std::string(side) == "initiator" ? "responder" : "initiator";
      crypto::TransportKeys keys;
      keys.tx = hex_array<32>(std::string(v[side]["split"]["tx"]).substr(0, 64));
      keys.rx = hex_array<32>(std::string(v[side]["split"]["rx"]).substr(0, 64));
      CHECK(to_hex(wire::capability(keys, feed_key)) == v[side]["capabilityForFeed"]);
      CHECK(to_hex(wire::remote_capability(keys, feed_key)) == v[side]["remoteCapabilityForFeed"]);

      wire::StreamCipher send(keys.tx, hex_array<24>(v[side]["payloadNonce"]));
      Bytes zeros(64, 0);
      send.apply(zeros);
      CHECK(to_hex(zeros) == v[side]["transportKeystreamFirst64"]["send"]);
      wire::StreamCipher receive(keys.rx, hex_array<24>(v[other]["payloadNonce"]));
      Bytes more(64, 0);
      receive.apply(more);
      CHECK(to_hex(more) == v[side]["transportKeystreamFirst64"]["receive"]);
    }
  }
}

TEST_CASE("noise: a tampered, short or wrong-version message 2 fails the handshake") {
  for (const auto& version : kVersions) {
    auto v = test::load_vectors(version.file);
    Bytes m2 = noise_message(v["messages"][1]);
    auto make_initiator = [&](NoiseVariant variant) {
      auto hs = std::make_unique<crypto::XxHandshake>(
          variant, NoiseRole::Initiator, test::kx_pair(v["initiator"]["staticSeed"]),
          test::kx_pair(v["initiator"]["ephemeralSeed"]));
      REQUIRE(hs->write_message(hex(v["messages"][0]["payloadPlaintext"])).ok());
      return hs;
    };
    SUBCASE("flipped bit in the encrypted static key") {
      Bytes bad = m2;
      bad[40] ^= 1;
      auto hs = make_initiator(version.variant);
      auto read = hs->read_message(bad);
      CHECK_FALSE(read.ok());
      CHECK(read.error().code() == Errc::Protocol);
      CHECK(hs->failed());
      CHECK_FALSE(hs->write_message({}).ok());
    }
    SUBCASE("truncated") {
      auto hs = make_initiator(version.variant);
      CHECK_FALSE(hs->read_message(ByteView(m2).first(60)).ok());
      auto hs2 = make_initiator(version.variant);
      CHECK_FALSE(hs2->read_message(ByteView(m2).first(10)).ok());
    }
    SUBCASE("other version") {
      NoiseVariant other =
          version.variant == NoiseVariant::V7 ? NoiseVariant::V8 : NoiseVariant::V7;
      auto hs = make_initiator(other);
      CHECK_FALSE(hs->read_message(m2).ok());
    }
    SUBCASE("low-order remote ephemeral key") {
      Bytes bad = m2;
      std::fill(bad.begin(), bad.begin() + 32, 0);
      auto hs = make_initiator(version.variant);
      CHECK_FALSE(hs->read_message(bad).ok());
    }
  }
}

}  // namespace
}  // namespace hypermount
