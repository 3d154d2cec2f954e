// Runs the unchanged DHT code (DhtNode, HyperDht, Discovery) on a simulated network of many
// nodes in one process: joining, hyperswarm's adaptive ephemeral-to-persistent switch, topics
// announced and looked up, churn, and the figures a run measures. Single thread.
#pragma once

#include "event_queue.hpp"
#include "network.hpp"
#include "swarm/discovery.hpp"

#include <functional>
#include <memory>
#include <tuple>
#include <vector>

namespace hypermount::sim {

using swarm::NodeId;

struct NatMix {  // fractions of the joining nodes; the rest are Symmetric
  double open = 0.4;
  double full_cone = 0.25;
  double port_restricted = 0.2;
};

struct SimConfig {
  size_t bootstrap_nodes = 3;  // open and persistent, listing each other
  size_t nodes = 300;          // joining nodes
  NatMix nat;
  LinkProfile link;
  Millis join_spread = 60'000;  // nodes join at random times over this span
  uint64_t seed = 1;
};

// One lookup of a topic by a seeker, waiting for a given announcer.
struct LookupOutcome {
  bool found = false;
  size_t hops = 0;        // LookupResult::hops of the first result naming the announcer
  Millis first_find = 0;  // from the start of the lookup to that result
  bool ended = false;
  Millis end = 0;  // from the start of the lookup to its end (the last answer or timeout)
};

class DhtSim {
 public:
  explicit DhtSim(SimConfig config);
  ~DhtSim();
  DhtSim(const DhtSim&) = delete;
  DhtSim& operator=(const DhtSim&) = delete;

  EventQueue& clock() { return clock_; }
  Network& network() { return network_; }
  size_t size() const { return nodes_.size(); }
  const SimConfig& config() const { return config_; }

  // Starts the bootstrap nodes, then the joining nodes at random times over the join spread,
  // and runs until every node has finished joining (bootstrapped, and re-bootstrapped as a
  // persistent node where its NAT maps consistently). False if some never did by `deadline`.
  bool join_all(Millis deadline);
  // Joins `topic` through Discovery as an announcer (rounds now and every 300-600 s).
  void announce(size_t node, const NodeId& topic);
  // Runs until every announcer's first round has ended; false at `deadline`.
  bool settle_announcements(Millis deadline);
  // Looks each (seeker, topic, announcer) up at once; runs until every lookup ended.
  std::vector<LookupOutcome> lookup(const std::vector<std::tuple<size_t, NodeId, size_t>>& asks,
                                    Millis deadline);
  void kill(size_t node);
  // A fresh process (new id) on a killed node's host; it joins as at start.
  void restart(size_t node);
  void run_for(Millis span) { clock_.run_until(clock_.now() + span); }

  bool alive(size_t node) const;
  bool persistent(size_t node) const;
  bool bootstrap_node(size_t node) const { return node < config_.bootstrap_nodes; }
  size_t host(size_t node) const;
  swarm::DhtNode& dht(size_t node);
  swarm::HyperDht& hyper(size_t node);
  // The node owning a public address, if it is alive.
  std::optional<size_t> node_at(const Ipv4Address& address) const;
  size_t random_below(size_t bound);

 private:
  struct Node;
  void start(size_t node, bool persistent);
  void schedule_timers(size_t node, uint64_t generation);
  void on_joined(size_t node, uint64_t generation);

  SimConfig config_;
  EventQueue clock_;
  Network network_;
  uint64_t rng_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Ipv4Address> bootstrap_;
  size_t joining_ = 0;
  size_t rounds_pending_ = 0;
};

// The value at fraction `q` (0..1) of `values`, nearest rank; 0 for none.
double percentile(std::vector<double> values, double q);

}  // namespace hypermount::sim
