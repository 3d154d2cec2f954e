// An in-memory datagram network for DHT tests: nodes on 10.0.x.y addresses, deliveries in
// order, seeded randomness, no sockets and no clock. Single thread.
#pragma once

#include "swarm/dht_node.hpp"
#include "swarm/hyper_dht.hpp"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

namespace hypermount::swarm::test {

class SimNetwork {
 public:
  struct Peer;

  // Adds a node at 10.0.(n/250).(n%250+1):4000+n; `ephemeral` as DhtConfig.
  Peer& add(bool ephemeral, std::vector<Ipv4Address> bootstrap = {}) {
    size_t n = peers_.size();
    Ipv4Address address{{10, 0, static_cast<uint8_t>(n / 250), static_cast<uint8_t>(n % 250 + 1)},
                        static_cast<uint16_t>(4000 + n)};
    auto peer = std::make_unique<Peer>(*this, address);
    auto seed = static_cast<uint32_t>(n * 7919 + 1);
    peer->rng.seed(seed);
    peer->node = std::make_unique<DhtNode>(
        DhtConfig{std::nullopt, ephemeral, std::move(bootstrap)}, *peer,
        [p = peer.get()](uint8_t* out, size_t size) {
          for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(p->rng());
        });
    peer->hyper = std::make_unique<HyperDht>(*peer->node);
    peers_.push_back(std::move(peer));
    return *peers_.back();
  }

  // Delivers queued datagrams (and those they cause) until none is left; returns how many.
  size_t run() {
    size_t delivered = 0;
    while (!queue_.empty()) {
      Datagram d = std::move(queue_.front());
      queue_.pop_front();
      ++delivered;
      if (dead_.contains(d.to)) continue;
      bool known = false;
      for (auto& peer : peers_) {
        if (peer->address == d.to) {
          peer->node->on_datagram(d.from, d.bytes);
          known = true;
        }
      }
      if (!known && elsewhere) elsewhere(d.from, d.to, d.bytes);
    }
    return delivered;
  }
  // One tick of every node, then the deliveries it caused.
  void tick() {
    for (auto& peer : peers_) peer->node->tick();
    run();
  }
  void kill(const Ipv4Address& address) { dead_.insert(address); }
  // Receives the datagrams sent to addresses no node has (a hostile part of the network).
  std::function<void(const Ipv4Address& from, const Ipv4Address& to, const Bytes& datagram)>
      elsewhere;
  // Injects a datagram as if `from` had sent it.
  void inject(const Ipv4Address& from, const Ipv4Address& to, Bytes bytes) {
    queue_.push_back({from, to, std::move(bytes)});
  }
  // Every datagram sent so far, in order.
  const std::vector<std::pair<Ipv4Address, Bytes>>& sent() const { return sent_; }

  struct Peer final : DatagramSink {
    Peer(SimNetwork& net, Ipv4Address address) : net(net), address(address) {}
    void send(const Ipv4Address& to, Bytes datagram) override {
      net.sent_.emplace_back(to, datagram);
      net.queue_.push_back({address, to, std::move(datagram)});
    }
    SimNetwork& net;
    Ipv4Address address;
    std::mt19937 rng;
    std::unique_ptr<DhtNode> node;
    std::unique_ptr<HyperDht> hyper;
  };

 private:
  struct Datagram {
    Ipv4Address from, to;
    Bytes bytes;
  };
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<Datagram> queue_;
  std::set<Ipv4Address> dead_;
  std::vector<std::pair<Ipv4Address, Bytes>> sent_;
};

}  // namespace hypermount::swarm::test
