// libFuzzer target: one DHT datagram through the Message decoder, then its payloads through the
// node-list, peers and holepunch decoders (whatever decodes re-encodes to an equal value), then
// into a persistent DHT node with the peers command, whose answers are discarded.
#include "swarm/dht_node.hpp"
#include "swarm/hyper_dht.hpp"
#include "swarm/message.hpp"
#include "swarm/payloads.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

struct Discard final : hypermount::swarm::DatagramSink {
  void send(const hypermount::swarm::Ipv4Address&, hypermount::Bytes) override {}
};

// One node for the whole run (its state is bounded), with deterministic randomness.
hypermount::swarm::DhtNode& node() {
  static Discard sink;
  static uint8_t counter = 0;
  static hypermount::swarm::DhtNode dht({std::nullopt, false, {}}, sink, [](uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = ++counter;
  });
  static hypermount::swarm::HyperDht peers(dht);
  return dht;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hypermount;
  using namespace hypermount::swarm;
  node().on_datagram(Ipv4Address{{127, 0, 0, 1}, 4242}, ByteView(data, size));
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
