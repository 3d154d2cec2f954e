// A wire::ByteStream over a uTP connection of the shared DHT socket: bytes the bounded uTP send
// buffer cannot take yet wait here and are offered again every uTP tick. Loop thread only.
#pragma once

#include "swarm/dht_socket.hpp"
#include "wire/byte_stream.hpp"

#include <uv.h>

#include <deque>
#include <memory>

namespace hypermount::node {

class UtpStream final : public wire::ByteStream {
 public:
  // `connection` (connected, or just accepted) belongs to `socket`'s endpoint; the stream takes
  // over its events, and never touches it once the socket is gone or the connection has ended.
  UtpStream(uv_loop_t* loop, const swarm::DhtSocket& socket, swarm::UtpConnection& connection,
            const swarm::Ipv4Address& remote);
  ~UtpStream() override;
  UtpStream(const UtpStream&) = delete;
  UtpStream& operator=(const UtpStream&) = delete;

  Status start(wire::ByteStreamEvents events) override;
  Status write(Bytes bytes) override;
  Status end() override;
  void close() override;
  std::string transport() const override { return "utp"; }
  std::string remote() const override { return remote_.to_string(); }

 private:
  // What the connection's callbacks reach; they outlive the stream (the endpoint keeps the
  // connection until its FIN is acknowledged), so they check `closed` first.
  struct Shared {
    wire::ByteStreamEvents events;
    bool started = false;
    bool closed = false;
    bool dead = false;  // the connection failed: the endpoint may have freed it
  };

  // The connection while it may be used, else null.
  swarm::UtpConnection* live() const;
  // Offers the waiting bytes to the connection and reports those it took.
  void pump();
  // Pumps after `first_ms`, then every uTP tick (acks free room in the send buffer).
  void schedule_pump(uint64_t first_ms);

  swarm::UtpConnection* connection_;
  std::weak_ptr<bool> socket_alive_;
  swarm::Ipv4Address remote_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::deque<Bytes> pending_;
  size_t pending_offset_ = 0;  // bytes of pending_.front() already taken
  bool ending_ = false;
  bool fin_sent_ = false;
  uv_timer_t* timer_ = nullptr;  // freed in its close callback
};

}  // namespace hypermount::node
