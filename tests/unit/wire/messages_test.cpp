#include "wire/messages.hpp"

#include "message_json.hpp"
#include "wire/frame.hpp"

#include <doctest/doctest.h>

namespace hypermount {
namespace {

using test::hex;

TEST_CASE("messages: every case of wire-messages.json encodes, frames and decodes like JS") {
  auto v = test::load_vectors("wire-messages.json");
  REQUIRE(v["cases"].size() >= 29);
  for (const auto& c : v["cases"]) {
    std::string type = c["type"];
    CAPTURE(type);
    CAPTURE(c["body"]);
    wire::Message message = test::message_from_json(type, c["message"]);
    CHECK(static_cast<int>(wire::message_type(message)) == c["typeId"]);
    CHECK(v["typeIds"][type] == c["typeId"]);
    CHECK(to_hex(wire::encode_body(message)) == c["body"]);
    CHECK(to_hex(wire::encode_frame(c["channel"], message)) == c["frame"]);

    auto decoded = wire::decode_body(static_cast<wire::MessageType>(c["typeId"].get<int>()),
                                     hex(c["body"]));
    REQUIRE(decoded.ok());
    test::check_subset(test::decoded_json(*decoded), c["decoded"]);
    // Presence survives decoding, so re-encoding yields the same bytes.
    CHECK(*decoded == message);
    CHECK(to_hex(wire::encode_body(*decoded)) == c["body"]);
  }
}

TEST_CASE("messages: extension frames") {
  auto v = test::load_vectors("wire-messages.json");
  for (const auto& e : v["extensions"]) {
    std::string text = e["payloadUtf8"];
    wire::Message message = wire::Extension{e["id"], Bytes(text.begin(), text.end())};
    CHECK(to_hex(wire::encode_body(message)) == e["body"]);
    CHECK(to_hex(wire::encode_frame(e["channel"], message)) == e["frame"]);
    auto decoded = wire::decode_body(wire::MessageType::Extension, hex(e["body"]));
    REQUIRE(decoded.ok());
    CHECK(*decoded == message);
  }
}

TEST_CASE("messages: noise payload") {
  auto v = test::load_vectors("wire-messages.json");
  Bytes nonce = hex(v["noisePayload"]["message"]["nonce"]);
  CHECK(to_hex(wire::encode_noise_payload(nonce)) == v["noisePayload"]["body"]);
  auto decoded = wire::decode_noise_payload(hex(v["noisePayload"]["body"]));
  REQUIRE(decoded.ok());
  CHECK(test::vec(*decoded) == nonce);
  CHECK_FALSE(wire::decode_noise_payload(hex("0a03010203")).ok());  // nonce not 24 bytes
  CHECK_FALSE(wire::decode_noise_payload(hex("")).ok());            // nonce missing
}

TEST_CASE("messages: bad bodies are protocol errors, unknown types unsupported") {
  using wire::MessageType;
  // Have without its required start.
  auto missing = wire::decode_body(MessageType::Have, hex("1001"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Errc::Protocol);
  // Data.Node without its required hash.
  CHECK_FALSE(wire::decode_body(MessageType::Data, hex("08011a0408001805")).ok());
  // Garbage: a truncated varint, a length beyond the body, a group wire type.
  CHECK_FALSE(wire::decode_body(MessageType::Request, hex("08ff")).ok());
  CHECK_FALSE(wire::decode_body(MessageType::Open, hex("0a20aabb")).ok());
  CHECK_FALSE(wire::decode_body(MessageType::Status, hex("0b")).ok());
  CHECK_FALSE(wire::decode_body(MessageType::Extension, hex("")).ok());
  auto unknown = wire::decode_body(static_cast<MessageType>(12), hex("0801"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code() == Errc::Unsupported);
  // Unknown fields are skipped, as the JS decoder does.
  auto extra = wire::decode_body(MessageType::Want, hex("0805" "2807" "32020000"));
  REQUIRE(extra.ok());
  CHECK(std::get<wire::Want>(*extra).start == 5);
  // Any non-zero bool is true.
  auto flag = wire::decode_body(MessageType::Status, hex("08021000"));
  REQUIRE(flag.ok());
  CHECK(std::get<wire::StatusMessage>(*flag).uploading == true);
  // Empty Close is valid; Open needs its discovery key.
  CHECK(wire::decode_body(MessageType::Close, {}).ok());
  CHECK_FALSE(wire::decode_body(MessageType::Open, {}).ok());
}

}  // namespace
}  // namespace hypermount
