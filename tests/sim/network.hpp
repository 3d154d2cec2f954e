// A simulated IPv4 network for DHT simulations: hosts behind NATs of several kinds, links with
// latency and loss, datagrams delivered through an EventQueue. Counts every host's traffic.
// Single thread.
#pragma once

#include "event_queue.hpp"
#include "swarm/address.hpp"

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hypermount::sim {

using swarm::Ipv4Address;

// How a host reaches the network (RFC 4787 terms).
enum class NatKind {
  Open,            // a public address: anyone may send to it
  FullCone,        // one public mapping for all destinations; anyone may send to it
  PortRestricted,  // one public mapping; only ip:ports the host has sent to may send back
  Symmetric,       // a new mapping per destination, open only to that destination
};
const char* nat_name(NatKind kind);

struct LinkProfile {
  Millis min_latency = 10;  // one way; each pair of hosts gets a fixed latency in the range
  Millis max_latency = 100;
  double loss = 0.01;  // every datagram independently
};

// What a host does with a datagram that got through.
class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual void receive(const Ipv4Address& from, ByteView datagram) = 0;
};

struct HostTraffic {
  uint64_t sent = 0;
  uint64_t received = 0;
};

class Network {
 public:
  Network(EventQueue& clock, LinkProfile link, uint64_t seed);

  // A new host with its own public IP; returns its index.
  size_t add_host(NatKind kind);
  // Plugs a receiver in (a restarted process) or out (nullptr: the host is down and datagrams
  // to it vanish). Plugging in afresh forgets the host's NAT mappings, as a restart would.
  void plug(size_t host, Receiver* receiver);
  bool up(size_t host) const { return hosts_[host].receiver != nullptr; }

  // Sends from `host`; delivered after the link's latency unless lost or filtered.
  void send(size_t host, const Ipv4Address& to, Bytes datagram);

  NatKind kind(size_t host) const { return hosts_[host].kind; }
  // The address others see for `host` (for Symmetric: the mapping towards `to`, if any).
  std::optional<Ipv4Address> public_address(size_t host,
                                            const std::optional<Ipv4Address>& to = {}) const;
  // The host that owns a public address (any of a Symmetric host's mappings).
  std::optional<size_t> owner(const Ipv4Address& address) const;
  const HostTraffic& traffic(size_t host) const { return hosts_[host].traffic; }
  uint64_t lost() const { return lost_; }
  uint64_t filtered() const { return filtered_; }
  size_t hosts() const { return hosts_.size(); }

 private:
  struct Host {
    NatKind kind = NatKind::Open;
    std::array<uint8_t, 4> ip{};
    uint16_t port = 0;  // Open, FullCone, PortRestricted: the one public port
    Receiver* receiver = nullptr;
    std::unordered_set<uint64_t> contacted;               // PortRestricted filter
    std::unordered_map<uint64_t, uint16_t> mapping_to;    // Symmetric: destination -> port
    uint16_t next_port = 0;
    HostTraffic traffic;
  };
  struct Endpoint {
    size_t host;
    std::optional<uint64_t> only_from;  // Symmetric: the one destination it was made for
  };

  static uint64_t key(const Ipv4Address& address);
  Ipv4Address source_towards(Host& host, size_t index, const Ipv4Address& to);
  bool admits(const Endpoint& endpoint, const Ipv4Address& from) const;
  Millis latency(const std::array<uint8_t, 4>& a, const std::array<uint8_t, 4>& b) const;
  double uniform();
  void forget_mappings(size_t host);

  EventQueue& clock_;
  LinkProfile link_;
  uint64_t rng_;
  std::vector<Host> hosts_;
  std::unordered_map<uint64_t, Endpoint> endpoints_;
  uint64_t lost_ = 0;
  uint64_t filtered_ = 0;
};

}  // namespace hypermount::sim
