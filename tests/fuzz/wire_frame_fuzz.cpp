// libFuzzer target: transport frame decoder + message body decoder + re-encoding.
// Build with clang -fsanitize=fuzzer,address against hm_wire (not wired into meson).
#include "wire/frame_decoder.hpp"
#include "wire/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

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
    auto frames = decoder.push(input.first(take));
    input = input.subspan(take);
    if (!frames) return 0;
    for (const RawFrame& frame : *frames) {
      auto message = decode_body(static_cast<MessageType>(frame.type), frame.body);
      if (!message) continue;
      // A decoded message re-encodes and decodes to itself.
      Bytes body = encode_body(*message);
      auto again = decode_body(message_type(*message), body);
      if (!again || !(*again == *message)) std::abort();
    }
  }
  return 0;
}
