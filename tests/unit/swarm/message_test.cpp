#include "swarm/message.hpp"

#include "swarm/payloads.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace hypermount::swarm {
namespace {

Bytes hex(const std::string& text) { return from_hex(text).value(); }

nlohmann::json captured() {
  std::ifstream in(HM_SWARM_DATAGRAMS);
  REQUIRE(in);
  return nlohmann::json::parse(in)["datagrams"];
}

// The JSON trace writes an absent field as null and addresses as "ip:port".
void check_bytes(const std::optional<Bytes>& field, const nlohmann::json& expected) {
  if (expected.is_null()) {
    CHECK(!field);
  } else {
    REQUIRE(field);
    CHECK(to_hex(*field) == expected.get<std::string>());
  }
}

void check_address(const std::optional<Bytes>& field, const nlohmann::json& expected) {
  if (expected.is_null()) {
    CHECK(!field);
    return;
  }
  REQUIRE(field);
  auto address = decode_peer(*field);
  REQUIRE(address);
  CHECK(address->to_string() == expected.get<std::string>());
}

TEST_CASE("message: every captured JS datagram decodes to the traced fields and re-encodes to "
          "the same bytes") {
  auto datagrams = captured();
  REQUIRE(datagrams.size() >= 10);
  const std::map<std::string, MessageType> types = {
      {"QUERY", MessageType::Query}, {"UPDATE", MessageType::Update},
      {"RESPONSE", MessageType::Response}};
  for (const auto& d : datagrams) {
    CAPTURE(d["hex"]);
    const auto& m = d["msg"];
    auto decoded = decode_message(hex(d["hex"]));
    REQUIRE(decoded.ok());
    CHECK(decoded->version == m["version"].get<uint64_t>());
    CHECK(decoded->type == types.at(m["type"]));
    CHECK(decoded->rid == m["rid"].get<uint64_t>());
    check_address(decoded->to, m["to"]);
    check_bytes(decoded->id, m["id"]);
    check_bytes(decoded->target, m["target"]);
    check_bytes(decoded->roundtrip_token, m["roundtripToken"]);
    check_bytes(decoded->value, m["value"]);
    CHECK(decoded->command.value_or("<none>") ==
          (m["command"].is_null() ? "<none>" : m["command"].get<std::string>()));
    if (m["closerNodes"].is_null()) {
      CHECK(!decoded->closer_nodes);
    } else {
      REQUIRE(decoded->closer_nodes);
      auto nodes = decode_nodes(*decoded->closer_nodes);
      REQUIRE(nodes);
      REQUIRE(nodes->size() == m["closerNodes"].size());
      for (size_t i = 0; i < nodes->size(); ++i) {
        CHECK(to_hex((*nodes)[i].id) == m["closerNodes"][i]["id"].get<std::string>());
        CHECK((*nodes)[i].address.to_string() == m["closerNodes"][i]["addr"].get<std::string>());
      }
    }
    CHECK(to_hex(encode_message(*decoded)) == d["hex"].get<std::string>());
  }
}

TEST_CASE("message: the relayed hole punch of the spec keeps its empty error field") {
  // spec swarm.md §12, step 3 (R -> B): id = R, error "" (42 00), Holepunch{from}.
  const std::string relayed =
      "5801080110b1f0025206c63364019f971a200974e9b19af937919d1d19b39570441e9b1f17448d68a7e02ea748"
      "e93d4a45de3a0a5f686f6c6570756e636842004a081206c63364028a2f";
  auto m = decode_message(hex(relayed));
  REQUIRE(m.ok());
  CHECK(m->rid == 47153);
  CHECK(m->error == std::string());
  CHECK(m->command == "_holepunch");
  auto punch = decode_holepunch(*m->value);
  REQUIRE(punch.ok());
  CHECK(!punch->to);
  CHECK(decode_peer(*punch->from)->to_string() == "198.51.100.2:35375");
  CHECK(to_hex(encode_message(*m)) == relayed);
}

TEST_CASE("message: datagrams JS drops are errors, never crashes") {
  CHECK(!decode_message(hex("5801")).ok());                  // no type, no rid
  CHECK(!decode_message(hex("58010801")).ok());              // no rid
  CHECK(!decode_message(hex("5801080410")).ok());            // truncated varint
  CHECK(!decode_message(hex("580108041001")).ok());          // type 4
  CHECK(!decode_message(hex("5801080110011a00")).ok());      // empty id
  CHECK(!decode_message(hex("5801080110011a0300")).ok());    // field longer than the datagram
  CHECK(!decode_message(hex("580108011001220a")).ok());      // truncated target
  CHECK(!decode_message(hex("58010a0110")).ok());            // type as bytes
  // Unknown fields of every wire type are skipped.
  auto m = decode_message(hex("080110076001""6d01020304""710102030405060708""7a020000"));
  REQUIRE(m.ok());
  CHECK(m->rid == 7);
  CHECK(!m->version);
  // Without a version the id does not count.
  Message old;
  old.rid = 1;
  old.id = Bytes(32, 7);
  CHECK(!decode_message(encode_message(old))->sender_id());
  old.version = kDhtVersion;
  CHECK(decode_message(encode_message(old))->sender_id());
}

}  // namespace
}  // namespace hypermount::swarm
