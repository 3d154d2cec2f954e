// Converts between the JSON message shapes of the JS vectors and wire::Message (tests only).
// Single-threaded test code.
#pragma once

#include "wire/messages.hpp"
#include "wire_test_support.hpp"

#include <nlohmann/json.hpp>

namespace hypermount::test {

inline std::optional<Bytes> opt_hex(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return hex(j[key]);
}
template <typename T>
std::optional<T> opt_val(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<T>();
}

// The message as the JS encoder was given it: fields present in the JSON are set.
inline wire::Message message_from_json(const std::string& type, const nlohmann::json& j) {
  using namespace wire;
  if (type == "Open") return Open{hex(j["discoveryKey"]), opt_hex(j, "capability")};
  if (type == "Options") {
    Options m;
    if (j.contains("extensions")) m.extensions = j["extensions"].get<std::vector<std::string>>();
    m.ack = opt_val<bool>(j, "ack");
    return m;
  }
  if (type == "Status") return StatusMessage{opt_val<bool>(j, "uploading"), opt_val<bool>(j, "downloading")};
  if (type == "Have") {
    return Have{j["start"], opt_val<uint64_t>(j, "length"), opt_hex(j, "bitfield"),
                opt_val<bool>(j, "ack")};
  }
  if (type == "Unhave") return Unhave{j["start"], opt_val<uint64_t>(j, "length")};
  if (type == "Want") return Want{j["start"], opt_val<uint64_t>(j, "length")};
  if (type == "Unwant") return Unwant{j["start"], opt_val<uint64_t>(j, "length")};
  if (type == "Request") {
    return Request{j["index"], opt_val<uint64_t>(j, "bytes"), opt_val<bool>(j, "hash"),
                   opt_val<uint64_t>(j, "nodes")};
  }
  if (type == "Cancel") return Cancel{j["index"], opt_val<uint64_t>(j, "bytes"), opt_val<bool>(j, "hash")};
  if (type == "Data") {
    Data m;
    m.index = j["index"];
    m.value = opt_hex(j, "value");
    if (j.contains("nodes")) {
      for (const auto& n : j["nodes"]) m.nodes.push_back(DataNode{n["index"], hex(n["hash"]), n["size"]});
    }
    m.signature = opt_hex(j, "signature");
    return m;
  }
  if (type == "Close") return Close{opt_hex(j, "discoveryKey")};
  if (type == "Extension") return Extension{j["id"], hex(j["payload"])};
  FAIL("unknown message type " << type);
  return Close{};
}

// The message as the JS decoder returns it: schema defaults applied, absent bytes as null.
inline nlohmann::json decoded_json(const wire::Message& message) {
  using namespace wire;
  using nlohmann::json;
  auto bytes = [](const std::optional<Bytes>& b) -> json { return b ? json(to_hex(*b)) : json(nullptr); };
  return std::visit(
      [&](const auto& m) -> json {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Open>) {
          return {{"discoveryKey", to_hex(m.discovery_key)}, {"capability", bytes(m.capability)}};
        } else if constexpr (std::is_same_v<T, Options>) {
          return {{"extensions", m.extensions}, {"ack", m.ack.value_or(false)}};
        } else if constexpr (std::is_same_v<T, StatusMessage>) {
          return {{"uploading", m.uploading.value_or(false)},
                  {"downloading", m.downloading.value_or(false)}};
        } else if constexpr (std::is_same_v<T, Have>) {
          return {{"start", m.start}, {"length", m.length_or_default()},
                  {"bitfield", bytes(m.bitfield)}, {"ack", m.ack.value_or(false)}};
        } else if constexpr (std::is_same_v<T, Unhave>) {
          return {{"start", m.start}, {"length", m.length_or_default()}};
        } else if constexpr (std::is_same_v<T, Want> || std::is_same_v<T, Unwant>) {
          return {{"start", m.start}, {"length", m.length.value_or(0)}};
        } else if constexpr (std::is_same_v<T, Request>) {
          return {{"index", m.index}, {"bytes", m.bytes.value_or(0)},
                  {"hash", m.hash.value_or(false)}, {"nodes", m.nodes.value_or(0)}};
        } else if constexpr (std::is_same_v<T, Cancel>) {
          return {{"index", m.index}, {"bytes", m.bytes.value_or(0)},
                  {"hash", m.hash.value_or(false)}};
        } else if constexpr (std::is_same_v<T, Data>) {
          json nodes = json::array();
          for (const auto& n : m.nodes) {
            nodes.push_back({{"index", n.index}, {"hash", to_hex(n.hash)}, {"size", n.size}});
          }
          return {{"index", m.index}, {"value", bytes(m.value)}, {"nodes", nodes},
                  {"signature", bytes(m.signature)}};
        } else if constexpr (std::is_same_v<T, Close>) {
          return {{"discoveryKey", bytes(m.discovery_key)}};
        } else {
          return {{"id", m.id}, {"payload", to_hex(m.payload)}};
        }
      },
      message);
}

// Every key of `expected` has the same value in `actual` (the vectors omit some defaults).
inline void check_subset(const nlohmann::json& actual, const nlohmann::json& expected) {
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    CAPTURE(it.key());
    REQUIRE(actual.contains(it.key()));
    CHECK(actual[it.key()] == it.value());
  }
}

}  // namespace hypermount::test
