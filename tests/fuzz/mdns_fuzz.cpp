// libFuzzer target for the mDNS packet decoder (LAN discovery reads any datagram sent to port
// 5353): any input decodes or is refused, and what decodes encodes to a packet that decodes.
#include <cstdint>
#include <cstdlib>

#include "swarm/mdns_message.hpp"

using namespace hypermount;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto packet = swarm::decode_dns(ByteView(data, size));
  if (!packet) return 0;
  auto again = swarm::decode_dns(swarm::encode_dns(*packet));
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
