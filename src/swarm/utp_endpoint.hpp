// uTP on the shared UDP socket: routes datagrams to connections by (remote address, receive id),
// accepts SYNs up to a bound, dials with random ids, answers strays with RESET. No I/O; loop
// thread only.
#pragma once

#include "swarm/address.hpp"
#include "swarm/dht_node.hpp"
#include "swarm/utp_connection.hpp"

#include <map>
#include <optional>

namespace hypermount::swarm {

// Connections one endpoint holds at once, dialled and accepted together.
constexpr size_t kUtpMaxConnections = 256;

// Called for a SYN from a new remote connection, after the connection answered it: returns
// false to refuse it (it is reset), or sets its events (UtpConnection::set_events) and returns
// true. The connection's lifetime is as for connect().
using UtpAcceptHandler = std::function<bool(const Ipv4Address& from, UtpConnection& connection)>;

class UtpEndpoint {
 public:
  // `sink` and the handler must outlive the endpoint; `random` draws conn ids and sequence numbers.
  UtpEndpoint(DatagramSink& sink, RandomSource random, UtpConfig config, UtpAcceptHandler on_accept);
  UtpEndpoint(const UtpEndpoint&) = delete;
  UtpEndpoint& operator=(const UtpEndpoint&) = delete;

  // Dials `to`. The returned connection is owned by the endpoint and stays valid until the first
  // tick() after it is finished (UtpConnection::finished). Unavailable when kUtpMaxConnections
  // are open.
  Result<UtpConnection*> connect(const Ipv4Address& to, UtpEvents events, uint64_t now_us);
  // A datagram for which is_utp_datagram() holds; undecodable ones are dropped.
  void on_datagram(const Ipv4Address& from, ByteView datagram, uint64_t now_us);
  // Ticks every connection (every kUtpTickUs) and forgets the finished ones.
  void tick(uint64_t now_us);
  size_t connection_count() const { return connections_.size(); }

 private:
  struct Key {
    Ipv4Address address;
    uint16_t receive_id;
    auto operator<=>(const Key&) const = default;
  };

  UtpEvents route(const Ipv4Address& to, UtpEvents events);
  UtpConnection* find(const Ipv4Address& from, uint16_t receive_id);
  UtpConnection* find_for_reset(const Ipv4Address& from, uint16_t conn_id);
  void accept(const Ipv4Address& from, const UtpPacket& syn, uint64_t now_us);
  void send_reset(const Ipv4Address& to, const UtpPacket& stray);
  uint16_t random_u16();

  DatagramSink& sink_;
  RandomSource random_;
  UtpConfig config_;
  UtpAcceptHandler on_accept_;
  std::map<Key, std::unique_ptr<UtpConnection>> connections_;
};

}  // namespace hypermount::swarm
