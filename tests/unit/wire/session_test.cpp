#include "wire/session.hpp"

#include "frame_collector.hpp"
#include "message_json.hpp"
#include "wire/capability.hpp"
#include "wire/frame_decoder.hpp"
#include "wire/transport_cipher.hpp"

#include <doctest/doctest.h>

#include <map>

namespace hypermount {
namespace {

using crypto::NoiseRole;
using test::hex;
using test::hex_array;
using wire::ProtocolVersion;

struct VersionFiles {
  const char* handshake;
  const char* session;
  ProtocolVersion version;
};
const VersionFiles kVersions[] = {
    {"wire-handshake-v7.json", "wire-session-v7.json", ProtocolVersion::V7},
    {"wire-handshake-v8.json", "wire-session-v8.json", ProtocolVersion::V8}};

wire::Session make_session(const nlohmann::json& handshake, const char* side,
                           ProtocolVersion version) {
  NoiseRole role = std::string(side) == "initiator" ? NoiseRole::Initiator : NoiseRole::Responder;
  return wire::Session(test::vector_options(handshake[side], role, version));
}

TEST_CASE("session vectors: each direction decrypts with one continuous keystream") {
  for (const auto& files : kVersions) {
    auto v = test::load_vectors(files.session);
    for (const auto& item : v["scenarios"].items()) {
      const std::string& name = item.key();
      const nlohmann::json& scenario = item.value();
      CAPTURE(files.session);
      CAPTURE(name);
      std::map<std::string, std::unique_ptr<wire::StreamCipher>> ciphers;
      std::map<std::string, wire::TransportFrameDecoder> decoders;
      for (const char* side : {"initiator", "responder"}) {
        auto key = hex_array<32>(std::string(v[side]["split"]["tx"]).substr(0, 64));
        ciphers[side] = std::make_unique<wire::StreamCipher>(
            key, hex_array<24>(v[side]["payloadNonce"]));
      }
      uint64_t keep_alives = 0;
      for (const auto& chunk : scenario["transcript"]) {
        if (chunk["phase"] != "transport") continue;
        std::string from = chunk["from"];
        CAPTURE(chunk["seq"]);
        Bytes data = hex(chunk["raw"]);
        ciphers[from]->apply(data);
        CHECK(to_hex(data) == chunk["plaintext"]);
        auto frames = test::push_frames(decoders[from], data);
        REQUIRE(frames.ok());
        size_t f = 0;
        for (const auto& expected : chunk["frames"]) {
          if (expected.contains("keepAlive")) {
            ++keep_alives;
            continue;
          }
          REQUIRE(f < frames->size());
          const auto& frame = (*frames)[f++];
          CHECK(frame.channel == expected["channel"]);
          CHECK(frame.type == expected["type"]);
          CHECK(to_hex(frame.body) == expected["body"]);
          auto message = wire::decode_body(static_cast<wire::MessageType>(frame.type), frame.body);
          REQUIRE(message.ok());
          test::check_subset(test::decoded_json(*message), expected["message"]);
          CHECK(to_hex(wire::encode_body(*message)) == expected["body"]);
        }
        CHECK(f == frames->size());
      }
      CHECK(decoders["initiator"].keep_alives() + decoders["responder"].keep_alives() ==
            keep_alives);
    }
  }
}

// Feed keys of the vectors by discovery key (hex).
std::map<std::string, crypto::PublicKey> feed_keys(const nlohmann::json& v) {
  std::map<std::string, crypto::PublicKey> keys;
  keys[v["feed"]["discoveryKey"]] = hex_array<32>(v["feed"]["publicKey"]);
  for (const auto& [name, scenario] : v["scenarios"].items()) {
    if (!scenario.contains("otherFeeds")) continue;
    for (const auto& [feed, info] : scenario["otherFeeds"].items()) {
      keys[info["discoveryKey"]] = hex_array<32>(info["publicKey"]);
    }
  }
  return keys;
}

// Two of our sessions with the recorded keys replay each scenario: every chunk a side sent
// is produced byte for byte by our session of that side, and the other session decodes it
// into the events the frames imply.
TEST_CASE("session vectors: two sessions replay every recorded chunk byte for byte") {
  for (const auto& files : kVersions) {
    auto hs = test::load_vectors(files.handshake);
    auto v = test::load_vectors(files.session);
    auto keys = feed_keys(v);
    for (const auto& item : v["scenarios"].items()) {
      const std::string& name = item.key();
      const nlohmann::json& scenario = item.value();
      CAPTURE(files.session);
      CAPTURE(name);
      std::map<std::string, std::unique_ptr<wire::Session>> sessions;
      for (const char* side : {"initiator", "responder"}) {
        sessions[side] = std::make_unique<wire::Session>(
            test::vector_options(hs[side],
                                 std::string(side) == "initiator" ? NoiseRole::Initiator
                                                                  : NoiseRole::Responder,
                                 files.version));
      }
      Bytes pending_initiator_output = sessions["initiator"]->take_output();
      for (const auto& chunk : scenario["transcript"]) {
        CAPTURE(chunk["seq"]);
        std::string from = chunk["from"];
        std::string to = from == "initiator" ? "responder" : "initiator";
        wire::Session& sender = *sessions[from];
        wire::Session& receiver = *sessions[to];
        Bytes produced;
        if (chunk["phase"] != "transport") {
          produced = from == "initiator" && chunk["seq"] == 0 ? pending_initiator_output
                                                              : sender.take_output();
        } else {
          for (const auto& frame : chunk["frames"]) {
            if (frame.contains("keepAlive")) {
              REQUIRE(sender.send_keep_alive().ok());
              continue;
            }
            std::string type = frame["typeName"];
            // The recorded "message" is the decoded form (defaults filled in); what the sender
            // set is only visible in the body.
            auto decoded = wire::decode_body(
                static_cast<wire::MessageType>(frame["type"].get<int>()), hex(frame["body"]));
            REQUIRE(decoded.ok());
            wire::Message message = *decoded;
            uint32_t channel = frame["channel"];
            if (type == "Open") {
              auto id = sender.open(keys.at(frame["message"]["discoveryKey"]));
              REQUIRE(id.ok());
              CHECK(*id == channel);
            } else if (type == "Close" && !frame["message"]["discoveryKey"].is_null() &&
                       sender.channels().channels().count(hex_array<32>(
                           frame["message"]["discoveryKey"])) != 0 &&
                       !sender.channels()
                            .channels()
                            .at(hex_array<32>(frame["message"]["discoveryKey"]))
                            .local_id) {
              auto id = sender.close_discovery_key(hex_array<32>(frame["message"]["discoveryKey"]));
              REQUIRE(id.ok());
              CHECK(*id == channel);
            } else {
              REQUIRE(sender.send(channel, message).ok());
            }
          }
          produced = sender.take_output();
        }
        CHECK(to_hex(produced) == chunk["raw"]);

        REQUIRE(receiver.receive(hex(chunk["raw"])).ok());
        auto events = receiver.take_events();
        size_t e = 0;
        if (!events.empty() && std::holds_alternative<wire::HandshakeCompleted>(events[0])) {
          auto done = std::get<wire::HandshakeCompleted>(events[0]);
          CHECK(done.version == files.version);
          CHECK(to_hex(done.remote_static_key) == v[from]["staticPublicKey"]);
          ++e;
        }
        for (const auto& frame : chunk.value("frames", nlohmann::json::array())) {
          if (frame.contains("keepAlive")) continue;
          REQUIRE(e < events.size());
          const auto& event = events[e++];
          std::string type = frame["typeName"];
          if (type == "Open") {
            REQUIRE(std::holds_alternative<wire::RemoteOpened>(event));
            const auto& opened = std::get<wire::RemoteOpened>(event);
            CHECK(to_hex(opened.discovery_key) == frame["message"]["discoveryKey"]);
            CHECK(opened.remote_id == frame["channel"]);
          } else if (type == "Close") {
            REQUIRE(std::holds_alternative<wire::ChannelClosed>(event));
          } else {
            REQUIRE(std::holds_alternative<wire::ChannelMessage>(event));
            const auto& received = std::get<wire::ChannelMessage>(event);
            CHECK(to_hex(wire::encode_body(received.message)) == frame["body"]);
          }
        }
        CHECK(e == events.size());
      }
      CHECK(sessions["initiator"]->handshake_finished());
      CHECK_FALSE(sessions["responder"]->failed());
    }
  }
}

TEST_CASE("version detection: message 1 is identical, an auto initiator detects message 2") {
  auto det = test::load_vectors("wire-version-detection.json");
  CHECK(det["message1"]["v7"] == det["message1"]["v8"]);
  for (const auto& files : kVersions) {
    auto hs = test::load_vectors(files.handshake);
    std::string tag = files.version == ProtocolVersion::V7 ? "v7" : "v8";
    wire::Session auto_initiator = make_session(hs, "initiator", ProtocolVersion::Auto);
    Bytes m1 = auto_initiator.take_output();
    CHECK(to_hex(Bytes(m1.begin() + 1, m1.end())) == det["message1"][tag]);
    Bytes m2 = hex(det["message2"][tag]);
    Bytes frame2{static_cast<uint8_t>(m2.size())};
    frame2.insert(frame2.end(), m2.begin(), m2.end());
    REQUIRE(auto_initiator.receive(frame2).ok());
    REQUIRE(auto_initiator.handshake_finished());
    CHECK(auto_initiator.handshake().version == files.version);
    CHECK(to_hex(auto_initiator.take_output()) == hs["messages"][2]["raw"]);
    CHECK(to_hex(auto_initiator.handshake().handshake_hash) == hs["initiator"]["handshakeHash"]);

    // Single-version initiators fail on the other version's message 2.
    ProtocolVersion other =
        files.version == ProtocolVersion::V7 ? ProtocolVersion::V8 : ProtocolVersion::V7;
    wire::Session wrong = make_session(hs, "initiator", other);
    (void)wrong.take_output();
    auto result = wrong.receive(frame2);
    CHECK_FALSE(result.ok());
    CHECK(wrong.failed());
    CHECK(wrong.take_output().empty());  // no message 3, as the reference
  }
}

// Shuttles bytes between two sessions until both are quiet.
void pump(wire::Session& a, wire::Session& b) {
  for (int i = 0; i < 20; ++i) {
    Bytes ab = a.take_output();
    Bytes ba = b.take_output();
    if (ab.empty() && ba.empty()) return;
    if (!ab.empty()) REQUIRE(b.receive(ab).ok());
    if (!ba.empty()) REQUIRE(a.receive(ba).ok());
  }
}

wire::SessionOptions random_options(NoiseRole role, ProtocolVersion version) {
  wire::SessionOptions options;
  options.role = role;
  options.version = version;
  options.static_key = crypto::random_dh_key_pair();
  return options;
}

TEST_CASE("session: auto initiator talks to v7 and v8 responders with random keys") {
  REQUIRE(crypto::init());
  for (ProtocolVersion responder_version : {ProtocolVersion::V7, ProtocolVersion::V8}) {
    wire::Session initiator(random_options(NoiseRole::Initiator, ProtocolVersion::Auto));
    wire::Session responder(random_options(NoiseRole::Responder, responder_version));
    auto feed = crypto::random_key_pair().public_key;
    REQUIRE(initiator.open(feed).ok());  // queued until the handshake is done
    pump(initiator, responder);
    REQUIRE(initiator.handshake_finished());
    REQUIRE(responder.handshake_finished());
    CHECK(initiator.handshake().version == responder_version);
    CHECK(initiator.handshake().keys.tx == responder.handshake().keys.rx);
    auto events = responder.take_events();
    REQUIRE(events.size() == 2);
    const auto& opened = std::get<wire::RemoteOpened>(events[1]);
    CHECK_FALSE(opened.local_id.has_value());  // the discovery-key case
    CHECK(opened.discovery_key == crypto::discovery_key(feed));
    auto local = responder.open(feed);
    REQUIRE(local.ok());
    REQUIRE(responder.send(*local, wire::StatusMessage{true, false}).ok());
    pump(initiator, responder);
    auto got = initiator.take_events();
    REQUIRE(got.size() == 3);
    CHECK(std::get<wire::RemoteOpened>(got[1]).local_id == 1u);
    const auto& status = std::get<wire::ChannelMessage>(got[2]);
    CHECK(status.local_id == 1);
    CHECK(std::get<wire::StatusMessage>(status.message).downloading == false);
  }
}

TEST_CASE("session: bad input drops the peer, unknown types and unopened channels are ignored") {
  REQUIRE(crypto::init());
  SUBCASE("message 1 too short for an ephemeral key") {
    wire::Session responder(random_options(NoiseRole::Responder, ProtocolVersion::V8));
    Bytes junk = hex("050102030405");
    CHECK_FALSE(responder.receive(junk).ok());
    CHECK(responder.failed());
    CHECK_FALSE(responder.receive(Bytes{0x00}).ok());  // sticky
  }
  SUBCASE("huge handshake length prefix") {
    wire::Session responder(random_options(NoiseRole::Responder, ProtocolVersion::V7));
    CHECK_FALSE(responder.receive(hex("ffff7f")).ok());
  }
  SUBCASE("after the handshake") {
    wire::Session a(random_options(NoiseRole::Initiator, ProtocolVersion::V8));
    wire::Session b(random_options(NoiseRole::Responder, ProtocolVersion::V8));
    pump(a, b);
    REQUIRE(a.handshake_finished());
    (void)b.take_events();
    auto feed = crypto::random_key_pair().public_key;
    REQUIRE(b.open(feed).ok());
    // A message on a channel the receiver never saw opened, and a keep-alive, are ignored.
    REQUIRE(a.send(1, wire::StatusMessage{true, true}).ok());
    REQUIRE(a.send_keep_alive().ok());
    pump(a, b);
    CHECK_FALSE(b.failed());
    CHECK(b.take_events().empty());
    CHECK(b.keep_alives_received() == 1);

  }
}

TEST_CASE("session: capability checks on both orders of opening") {
  REQUIRE(crypto::init());
  auto feed = crypto::random_key_pair().public_key;
  auto wrong = crypto::random_key_pair().public_key;
  auto make_pair = [] {
    auto a = std::make_unique<wire::Session>(random_options(NoiseRole::Initiator, ProtocolVersion::V7));
    auto b = std::make_unique<wire::Session>(random_options(NoiseRole::Responder, ProtocolVersion::V7));
    pump(*a, *b);
    (void)a->take_events();
    (void)b->take_events();
    return std::pair{std::move(a), std::move(b)};
  };
  // Forge an Open for feed's discovery key carrying the capability of another key.
  auto forged_open = [&](wire::Session& from_session, wire::Session& to) {
    wire::Open open;
    auto dk = crypto::discovery_key(feed);
    open.discovery_key = Bytes(dk.begin(), dk.end());
    auto cap = wire::capability(from_session.handshake().keys, wrong);
    open.capability = Bytes(cap.begin(), cap.end());
    Bytes frame = wire::encode_frame(1, open);
    wire::StreamCipher cipher(from_session.handshake().keys.tx,
                              from_session.handshake().local_nonce);
    cipher.apply(frame);
    return to.receive(frame);
  };
  SUBCASE("local side opened first: the stream is destroyed") {
    auto [a, b] = make_pair();
    REQUIRE(b->open(feed).ok());
    auto status = forged_open(*a, *b);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == Errc::Protocol);
    CHECK(b->failed());
  }
  SUBCASE("remote opened first: open() refuses with Close{discoveryKey}") {
    auto [a, b] = make_pair();
    REQUIRE(forged_open(*a, *b).ok());
    auto events = b->take_events();
    REQUIRE(events.size() == 1);
    auto id = b->open(feed);
    REQUIRE_FALSE(id.ok());
    CHECK_FALSE(b->failed());
    Bytes out = b->take_output();
    wire::StreamCipher cipher(a->handshake().keys.rx, a->handshake().remote_nonce);
    cipher.apply(out);
    wire::TransportFrameDecoder decoder;
    auto frames = test::push_frames(decoder, out);
    REQUIRE(frames.ok());
    REQUIRE(frames->size() == 1);
    CHECK(frames->front().type == static_cast<uint8_t>(wire::MessageType::Close));
    CHECK(frames->front().channel == 1);
  }
}

TEST_CASE("session: unknown message types are ignored, bad bodies are fatal") {
  REQUIRE(crypto::init());
  wire::Session a(random_options(NoiseRole::Initiator, ProtocolVersion::V8));
  wire::Session b(random_options(NoiseRole::Responder, ProtocolVersion::V8));
  pump(a, b);
  (void)b.take_events();
  wire::StreamCipher cipher(a.handshake().keys.tx, a.handshake().local_nonce);
  Bytes unknown = wire::encode_raw_frame(1, 12, hex("0801"));
  cipher.apply(unknown);
  REQUIRE(b.receive(unknown).ok());
  CHECK(b.take_events().empty());
  Bytes bad = wire::encode_raw_frame(0, static_cast<uint8_t>(wire::MessageType::Open), hex("ff"));
  cipher.apply(bad);
  CHECK_FALSE(b.receive(bad).ok());
  CHECK(b.failed());
}

}  // namespace
}  // namespace hypermount
