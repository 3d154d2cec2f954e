#include "swarm/udp_buffers.hpp"

namespace hypermount::swarm {

void widen_udp_buffers(uv_udp_t* udp) {
  constexpr int kBufferBytes = 4 << 20;
  auto* handle = reinterpret_cast<uv_handle_t*>(udp);
  int receive = kBufferBytes;
  uv_recv_buffer_size(handle, &receive);
  int send = kBufferBytes;
  uv_send_buffer_size(handle, &send);
}

}  // namespace hypermount::swarm
