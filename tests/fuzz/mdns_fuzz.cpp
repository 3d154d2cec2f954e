// libFuzzer target for the mDNS packet decoder (LAN discovery reads any datagram sent to port
// 5353): any input decodes or is refused, and what decodes encodes to a packet that decodes
// whenever that encoding is within the decoder's bound (names compressed in the input are
// written out in full, so 1,253 bytes of pointers can become 9,119: the decoder refuses those).
#include <cstdint>
#include <cstdlib>

#include "swarm/mdns_message.hpp"

using namespace hypermount;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto packet = swarm::decode_dns(ByteView(data, size));
  if (!packet) return 0;
  const Bytes encoded = swarm::encode_dns(*packet);
  if (encoded.size() > swarm::kMaxDnsPacket) return 0;
  auto again = swarm::decode_dns(encoded);
  if (!again || again->answers.size() != packet->answers.size() ||
      again->questions.size() != packet->questions.size()) {
    std::abort();
  }
  for (size_t i = 0; i < packet->answers.size(); ++i) {
    if (again->answers[i].port != packet->answers[i].port || again->answers[i].address != packet->answers[i].address) {
      std::abort();
    }
  }
  return 0;
}
