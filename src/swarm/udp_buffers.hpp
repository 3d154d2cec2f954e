// The kernel buffers of a UDP socket that carries uTP: a window of 1 MiB sent at once overflows
// the default receive buffer (208 KiB) on loopback and a LAN, and each drop costs a timeout.
#pragma once

#include <uv.h>

namespace hypermount::swarm {

// Asks for 4 MiB receive and send buffers (the kernel caps them at net.core.rmem_max and
// wmem_max); a refusal leaves the defaults, which still work, only slower.
void widen_udp_buffers(uv_udp_t* udp);

}  // namespace hypermount::swarm
