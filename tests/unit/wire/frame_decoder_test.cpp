#include "wire/frame_decoder.hpp"

#include "frame_collector.hpp"
#include "message_json.hpp"
#include "util/varint.hpp"

#include <doctest/doctest.h>

#include <random>

namespace hypermount {
namespace {

using test::hex;

struct Expected {
  uint32_t channel;
  uint8_t type;
  std::string body;
};

// All frames of wire-messages.json plus keep-alives, as one stream.
std::pair<Bytes, std::vector<Expected>> message_stream() {
  auto v = test::load_vectors("wire-messages.json");
  Bytes stream;
  std::vector<Expected> expected;
  for (const auto& c : v["cases"]) {
    Bytes frame = hex(c["frame"]);
    stream.insert(stream.end(), frame.begin(), frame.end());
    stream.push_back(0x00);  // keep-alive between frames
    expected.push_back({c["channel"], static_cast<uint8_t>(c["typeId"].get<int>()), c["body"]});
  }
  for (const auto& e : v["extensions"]) {
    Bytes frame = hex(e["frame"]);
    stream.insert(stream.end(), frame.begin(), frame.end());
    expected.push_back({e["channel"], 15, e["body"]});
  }
  return {stream, expected};
}

void check_frames(const std::vector<test::OwnedFrame>& frames, const std::vector<Expected>& expected) {
  REQUIRE(frames.size() == expected.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].channel == expected[i].channel);
    CHECK(frames[i].type == expected[i].type);
    CHECK(to_hex(frames[i].body) == expected[i].body);
  }
}

TEST_CASE("frame decoder: whole stream, byte by byte, and random chunks") {
  auto [stream, expected] = message_stream();
  {
    wire::TransportFrameDecoder decoder;
    auto frames = test::push_frames(decoder, stream);
    REQUIRE(frames.ok());
    check_frames(*frames, expected);
    CHECK(decoder.keep_alives() == expected.size() - 3);
  }
  {
    wire::TransportFrameDecoder decoder;
    std::vector<test::OwnedFrame> frames;
    for (uint8_t byte : stream) {
      auto got = test::push_frames(decoder, ByteView(&byte, 1));
      REQUIRE(got.ok());
      for (auto& f : *got) frames.push_back(std::move(f));
    }
    check_frames(frames, expected);
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    wire::TransportFrameDecoder decoder;
    std::vector<test::OwnedFrame> frames;
    size_t offset = 0;
    while (offset < stream.size()) {
      size_t size = std::min<size_t>(rng() % 40, stream.size() - offset);
      auto got = test::push_frames(decoder, ByteView(stream).subspan(offset, size));
      REQUIRE(got.ok());
      for (auto& f : *got) frames.push_back(std::move(f));
      offset += size;
    }
    check_frames(frames, expected);
  }
}

TEST_CASE("frame decoder: a huge length prefix fails before any payload arrives") {
  wire::TransportFrameDecoder decoder;
  // 2^32: far beyond 8 MiB.
  auto result = test::push_frames(decoder, hex("8080808010"));
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code() == Errc::Protocol);
  // Sticky: even a valid frame is refused afterwards.
  CHECK_FALSE(test::push_frames(decoder, hex("011a")).ok());

  // Just past the limit (8 MiB body + 1-byte header + 5 bytes slack) fails on the prefix alone.
  wire::TransportFrameDecoder big;
  Bytes prefix;
  put_varint(prefix, wire::kMaxMessageSize + 100);
  CHECK_FALSE(test::push_frames(big, prefix).ok());
}

TEST_CASE("frame decoder: body over 8 MiB with a short header is refused after the header") {
  wire::TransportFrameDecoder decoder;
  Bytes frame;
  put_varint(frame, wire::kMaxMessageSize + 2);  // 1 header byte + body of 8 MiB + 1
  frame.push_back(0x19);
  frame.resize(frame.size() + wire::kMaxMessageSize + 1, 0);
  auto result = test::push_frames(decoder, frame);
  REQUIRE_FALSE(result.ok());
  // Exactly 8 MiB is fine.
  wire::TransportFrameDecoder ok;
  Bytes fine;
  put_varint(fine, wire::kMaxMessageSize + 1);
  fine.push_back(0x1f);
  fine.resize(fine.size() + wire::kMaxMessageSize, 0);
  auto frames = test::push_frames(ok, fine);
  REQUIRE(frames.ok());
  REQUIRE(frames->size() == 1);
  CHECK(frames->front().body.size() == wire::kMaxMessageSize);
}

TEST_CASE("frame decoder: truncated frames wait, garbage fails") {
  SUBCASE("truncated frame yields nothing yet") {
    wire::TransportFrameDecoder decoder;
    auto part = test::push_frames(decoder, hex("0715080010"));
    REQUIRE(part.ok());
    CHECK(part->empty());
    auto rest = test::push_frames(decoder, hex("808040"));
    REQUIRE(rest.ok());
    REQUIRE(rest->size() == 1);
    CHECK(to_hex(rest->front().body) == "080010808040");
  }
  SUBCASE("overlong varint prefix") {
    wire::TransportFrameDecoder decoder;
    CHECK_FALSE(test::push_frames(decoder, Bytes(11, 0x80)).ok());
  }
  SUBCASE("header varint longer than the frame") {
    wire::TransportFrameDecoder decoder;
    CHECK_FALSE(test::push_frames(decoder, hex("01c2")).ok());
  }
  SUBCASE("channel beyond 2^27") {
    wire::TransportFrameDecoder decoder;
    Bytes huge;
    put_varint(huge, 6);
    put_varint(huge, uint64_t{1} << 35);
    CHECK_FALSE(test::push_frames(decoder, huge).ok());
  }
  SUBCASE("random garbage never crashes and mostly fails") {
    std::mt19937 rng(42);
    for (int round = 0; round < 200; ++round) {
      wire::TransportFrameDecoder decoder;
      Bytes junk(rng() % 64);
      for (auto& b : junk) b = static_cast<uint8_t>(rng());
      auto frames = test::push_frames(decoder, junk);
      if (frames.ok()) {
        for (const auto& f : *frames) {
          (void)wire::decode_body(static_cast<wire::MessageType>(f.type), f.body);
        }
      }
    }
  }
}

TEST_CASE("length-prefixed decoder: handshake frames and the bytes after them") {
  wire::LengthPrefixedDecoder decoder(65535);
  Bytes input = hex("03aabbcc" "02dddd" "ff");
  auto first = decoder.next(input);
  REQUIRE(first.ok());
  CHECK(first->consumed == 4);
  CHECK(to_hex(*first->payload) == "aabbcc");
  auto second = decoder.next(ByteView(input).subspan(4));
  REQUIRE(second.ok());
  CHECK(second->consumed == 3);
  CHECK(decoder.at_boundary());
  auto third = decoder.next(ByteView(input).subspan(7));
  REQUIRE(third.ok());
  CHECK_FALSE(third->payload.has_value());
  CHECK_FALSE(decoder.at_boundary());
  wire::LengthPrefixedDecoder small(65535);
  CHECK_FALSE(small.next(hex("808004")).ok());  // 65536
}

TEST_CASE("length-prefixed decoder: a unit whole in the input is not copied; a split one is") {
  wire::LengthPrefixedDecoder decoder(65535);
  Bytes input = hex("03aabbcc" "0401020304");
  auto whole = decoder.next(input);
  REQUIRE(whole.ok());
  REQUIRE(whole->payload.has_value());
  CHECK(whole->payload->data() == input.data() + 1);  // a view into the input
  auto partial = decoder.next(ByteView(input).subspan(4, 3));
  REQUIRE(partial.ok());
  CHECK_FALSE(partial->payload.has_value());
  Bytes rest = hex("0304");
  auto completed = decoder.next(rest);
  REQUIRE(completed.ok());
  REQUIRE(completed->payload.has_value());
  CHECK(completed->consumed == 2);
  CHECK(to_hex(*completed->payload) == "01020304");
  CHECK(completed->payload->data() != rest.data());  // from the decoder's own buffer
  CHECK(decoder.at_boundary());
}

}  // namespace
}  // namespace hypermount
