// Topics this process joined and their DHT rounds: announce and/or look up each topic now and
// again a random 300-600 s after each round, unannounce on leave (spec swarm.md §5). Found
// peers go to the topic's callback. Loop thread only.
#pragma once

#include "swarm/hyper_dht.hpp"

#include <functional>
#include <map>

namespace hypermount::swarm {

struct FoundPeer {
  NodeId topic{};
  Ipv4Address address;
  bool local = false;
  std::optional<Ipv4Address> referrer;  // the DHT node that named it (for hole punching)
};

struct JoinOptions {
  bool announce = false;
  bool lookup = true;
  AnnounceOptions announce_options;
};

class Discovery {
 public:
  // `dht` and its node must outlive this object.
  explicit Discovery(HyperDht& dht, DhtNode& node) : dht_(dht), node_(node) {}
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Starts the first round now; `on_peer` runs for every peer a round names (duplicates
  // included: callers dedupe), `on_round` after every round with its outcome.
  void join(const NodeId& topic, JoinOptions options, std::function<void(const FoundPeer&)> on_peer,
            std::function<void(Status)> on_round = nullptr);
  // Stops the rounds and unannounces an announced topic.
  void leave(const NodeId& topic);
  // Every housekeeping tick (5 s): starts the rounds that are due.
  void housekeeping();
  size_t topics() const { return topics_.size(); }

 private:
  struct Topic {
    JoinOptions options;
    std::function<void(const FoundPeer&)> on_peer;
    std::function<void(Status)> on_round;
    bool running = false;
    uint64_t next_round = 0;  // housekeeping tick
  };
  void run_round(const NodeId& topic);

  HyperDht& dht_;
  DhtNode& node_;
  std::map<NodeId, Topic> topics_;
  uint64_t ticks_ = 0;
};

}  // namespace hypermount::swarm
