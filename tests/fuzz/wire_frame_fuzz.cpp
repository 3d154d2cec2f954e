// libFuzzer target: transport frame decoder + message body decoder + re-encoding, and the
// hand-written Data decoder against protobuf's. Built by tests/fuzz/meson.build (-Dfuzz=true).
#include "../unit/wire/protobuf_data.hpp"
#include "wire/frame_decoder.hpp"
#include "wire/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

// Data is decoded by hand (wire/data_message.cpp): whatever it accepts, protobuf accepts as the
// same message. (It refuses groups, which protobuf skips.)
void check_data_like_protobuf(hypermount::ByteView body, const hypermount::Result<hypermount::wire::Message>& ours) {
  if (!ours) return;
  auto expected = hypermount::test::protobuf_decode_data(body);
  if (!expected || !(*expected == std::get<hypermount::wire::Data>(*ours))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hypermount;
  using namespace hypermount::wire;
  if (size == 0) return 0;
  // The first byte picks a chunk size, so split frames are exercised too.
  size_t chunk = static_cast<size_t>(data[0] % 17) + 1;
  ByteView input(data + 1, size - 1);
  TransportFrameDecoder decoder;
  while (!input.empty()) {
    size_t take = chunk < input.size() ? chunk : input.size();
    auto pushed = decoder.push(input.first(take), [](const RawFrame& frame) -> Status {
      auto message = decode_body(static_cast<MessageType>(frame.type), frame.body);
      if (frame.type == static_cast<uint8_t>(MessageType::Data)) check_data_like_protobuf(frame.body, message);
      if (!message) return {};
      // A decoded message re-encodes and decodes to itself.
      Bytes body = encode_body(*message);
      auto again = decode_body(message_type(*message), body);
      if (!again || !(*again == *message)) std::abort();
      return {};
    });
    input = input.subspan(take);
    if (!pushed) return 0;
  }
  return 0;
}
