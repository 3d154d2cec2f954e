// libFuzzer target: one DHT datagram through the Message decoder, then its payloads through the
// node-list, peers and holepunch decoders; whatever decodes re-encodes to an equal value.
#include "swarm/message.hpp"
#include "swarm/payloads.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hypermount;
  using namespace hypermount::swarm;
  auto message = decode_message(ByteView(data, size));
  if (!message) return 0;
  auto again = decode_message(encode_message(*message));
  if (!again || !(*again == *message)) std::abort();
  if (message->closer_nodes) {
    if (auto nodes = decode_nodes(*message->closer_nodes)) {
      Bytes out;
      put_nodes(out, *nodes);
      if (out != *message->closer_nodes) std::abort();
    }
  }
  (void)message->to_address();
  if (!message->value) return 0;
  if (auto input = decode_peers_input(*message->value)) {
    if (decode_peers_input(encode_peers_input(*input)).value() != *input) std::abort();
  }
  if (auto output = decode_peers_output(*message->value)) {
    if (decode_peers_output(encode_peers_output(*output)).value() != *output) std::abort();
  }
  if (auto punch = decode_holepunch(*message->value)) {
    if (decode_holepunch(encode_holepunch(*punch)).value() != *punch) std::abort();
  }
  return 0;
}
