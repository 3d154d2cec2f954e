// The DHT and uTP on one real UDP socket: binds 0.0.0.0:port on a libuv loop, hands uTP
// datagrams to a UtpEndpoint and the rest to a DhtNode (swarm.md §10), drives both with libuv
// timers; owns the node, the endpoint, the HyperDHT commands and the topic discovery. Loop
// thread only.
#pragma once

#include "swarm/dht_node.hpp"
#include "swarm/discovery.hpp"
#include "swarm/hyper_dht.hpp"
#include "swarm/utp_endpoint.hpp"

#include <uv.h>

#include <memory>

namespace hypermount::swarm {

// Datagrams queued in the kernel-bound send queue beyond this are dropped (UDP is lossy anyway).
constexpr size_t kMaxQueuedSends = 1024;

class DhtSocket final : public DatagramSink {
 public:
  // Binds `address` (host 0.0.0.0 for all interfaces; port 0 for any) and starts the timers.
  static Result<std::unique_ptr<DhtSocket>> open(uv_loop_t& loop, const Ipv4Address& address,
                                                 DhtConfig config);
  // Closes the socket and timers; their memory is freed by the loop's close callbacks, so the
  // loop must run once more after this object is destroyed.
  ~DhtSocket() override;
  DhtSocket(const DhtSocket&) = delete;
  DhtSocket& operator=(const DhtSocket&) = delete;

  void send(const Ipv4Address& to, Bytes datagram) override;
  uint16_t port() const { return port_; }
  DhtNode& node() { return *node_; }
  HyperDht& hyper() { return *hyper_; }
  Discovery& discovery() { return *discovery_; }
  // uTP connections on this socket; SYNs go to the handler set here (refused until then).
  UtpEndpoint& utp() { return *utp_; }
  void set_utp_accept(UtpAcceptHandler handler) { utp_accept_ = std::move(handler); }
  // Expires when the socket is destroyed (its uTP connections with it).
  std::weak_ptr<bool> alive() const { return alive_; }
  // The monotonic clock in microseconds, the time base of the endpoint's calls.
  static uint64_t now_us();

 private:
  DhtSocket() = default;
  static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                      unsigned flags);

  uv_udp_t* udp_ = nullptr;
  uv_timer_t* tick_ = nullptr;
  uv_timer_t* housekeeping_ = nullptr;
  uv_timer_t* utp_tick_ = nullptr;
  uint16_t port_ = 0;
  std::unique_ptr<DhtNode> node_;
  std::unique_ptr<HyperDht> hyper_;
  std::unique_ptr<Discovery> discovery_;
  UtpAcceptHandler utp_accept_;
  std::unique_ptr<UtpEndpoint> utp_;
  std::unique_ptr<uint8_t[]> buffer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hypermount::swarm
