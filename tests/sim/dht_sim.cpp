#include "dht_sim.hpp"

#include "splitmix.hpp"

#include <algorithm>
#include <cmath>

namespace hypermount::sim {

struct DhtSim::Node final : swarm::DatagramSink, Receiver {
  Node(DhtSim& sim, size_t host, uint64_t seed) : sim(sim), host(host), rng(seed) {}
  void send(const Ipv4Address& to, Bytes datagram) override {
    sim.network_.send(host, to, std::move(datagram));
  }
  void receive(const Ipv4Address& from, ByteView datagram) override {
    dht->on_datagram(from, datagram);
  }

  DhtSim& sim;
  size_t host;
  uint64_t rng;
  uint64_t generation = 0;  // timers and callbacks of an earlier process are ignored
  bool persistent = false;
  bool joined = false;
  std::unique_ptr<swarm::DhtNode> dht;
  std::unique_ptr<swarm::HyperDht> hyper;
  std::unique_ptr<swarm::Discovery> discovery;
};

DhtSim::DhtSim(SimConfig config)
    : config_(config), network_(clock_, config.link, config.seed), rng_(config.seed ^ 0xd1b54a32d192ed03ULL) {
  size_t total = config_.bootstrap_nodes + config_.nodes;
  for (size_t i = 0; i < total; ++i) {
    NatKind kind = NatKind::Open;
    if (!bootstrap_node(i)) {
      double draw = static_cast<double>(random_below(1'000'000)) / 1e6;
      const NatMix& mix = config_.nat;
      kind = draw < mix.open                                        ? NatKind::Open
             : draw < mix.open + mix.full_cone                      ? NatKind::FullCone
             : draw < mix.open + mix.full_cone + mix.port_restricted ? NatKind::PortRestricted
                                                                     : NatKind::Symmetric;
    }
    size_t host = network_.add_host(kind);
    nodes_.push_back(std::make_unique<Node>(*this, host, splitmix(rng_)));
  }
}

DhtSim::~DhtSim() {
  // The network's queued deliveries may point at nodes: drop the nodes' processes first.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (alive(i)) kill(i);
  }
}

size_t DhtSim::random_below(size_t bound) { return bound == 0 ? 0 : splitmix(rng_) % bound; }
bool DhtSim::alive(size_t node) const { return nodes_[node]->dht != nullptr; }
bool DhtSim::persistent(size_t node) const { return nodes_[node]->persistent; }
size_t DhtSim::host(size_t node) const { return nodes_[node]->host; }
swarm::DhtNode& DhtSim::dht(size_t node) { return *nodes_[node]->dht; }
swarm::HyperDht& DhtSim::hyper(size_t node) { return *nodes_[node]->hyper; }

std::optional<size_t> DhtSim::node_at(const Ipv4Address& address) const {
  // Hosts and nodes are created together: host i runs node i.
  auto host = network_.owner(address);
  if (!host || !alive(*host)) return std::nullopt;
  return *host;
}

void DhtSim::start(size_t index, bool persistent) {
  Node& node = *nodes_[index];
  std::optional<NodeId> id;
  if (persistent && node.dht) id = node.dht->id();  // turning persistent keeps the id
  node.discovery.reset();
  node.hyper.reset();
  node.dht.reset();
  uint64_t generation = ++node.generation;
  node.persistent = persistent;
  node.joined = false;
  std::vector<Ipv4Address> bootstrap;
  for (size_t b = 0; b < config_.bootstrap_nodes; ++b) {
    if (b != index) bootstrap.push_back(*network_.public_address(host(b)));
  }
  Node* self = &node;
  node.dht = std::make_unique<swarm::DhtNode>(
      swarm::DhtConfig{id, !persistent, std::move(bootstrap)}, node,
      [self](uint8_t* out, size_t size) {
        for (size_t i = 0; i < size; i += 8) {
          uint64_t word = splitmix(self->rng);
          for (size_t j = 0; j < 8 && i + j < size; ++j) out[i + j] = static_cast<uint8_t>(word >> (8 * j));
        }
      });
  node.hyper = std::make_unique<swarm::HyperDht>(*node.dht);
  node.discovery = std::make_unique<swarm::Discovery>(*node.hyper, *node.dht);
  if (!network_.up(node.host)) network_.plug(node.host, &node);
  schedule_timers(index, generation);
  auto status = node.dht->bootstrap([this, index, generation](Status) {
    // Inside the node's own callback: act on it from a fresh event.
    clock_.after(0, [this, index, generation] { on_joined(index, generation); });
  });
  if (!status) clock_.after(0, [this, index, generation] { on_joined(index, generation); });
}

void DhtSim::on_joined(size_t index, uint64_t generation) {
  Node& node = *nodes_[index];
  if (node.generation != generation) return;
  // hyperswarm's adaptive mode: a node whose NAT maps consistently turns persistent and
  // bootstraps again (after 20-30 min in JS; at once here).
  if (!node.persistent && node.dht->holepunchable()) {
    start(index, true);
    return;
  }
  node.joined = true;
  --joining_;
}

void DhtSim::schedule_timers(size_t index, uint64_t generation) {
  struct Timer {
    DhtSim* sim;
    size_t index;
    uint64_t generation;
    Millis period;
    void operator()() const {
      Node& node = *sim->nodes_[index];
      if (node.generation != generation) return;
      if (period == swarm::kTickMillis) {
        node.dht->tick();
      } else {
        node.dht->housekeeping();
        node.hyper->housekeeping();
        node.discovery->housekeeping();
      }
      sim->clock_.after(period, *this);
    }
  };
  for (Millis period : {swarm::kTickMillis, swarm::kHousekeepingMillis}) {
    clock_.after(1 + random_below(period), Timer{this, index, generation, period});
  }
}

bool DhtSim::join_all(Millis deadline) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    ++joining_;
    Millis when = bootstrap_node(i) ? 0 : 1 + random_below(config_.join_spread);
    clock_.at(when, [this, i] { start(i, bootstrap_node(i)); });
  }
  return clock_.run_until(deadline, [this] { return joining_ == 0; });
}

void DhtSim::announce(size_t index, const NodeId& topic) {
  ++rounds_pending_;
  auto first = std::make_shared<bool>(true);
  nodes_[index]->discovery->join(topic, {true, false, {}}, [](const swarm::FoundPeer&) {},
                                 [this, first](Status) {
                                   if (*first) --rounds_pending_;
                                   *first = false;
                                 });
}

bool DhtSim::settle_announcements(Millis deadline) {
  if (rounds_pending_ == 0) return true;
  return clock_.run_until(deadline, [this] { return rounds_pending_ == 0; });
}

std::vector<LookupOutcome> DhtSim::lookup(
    const std::vector<std::tuple<size_t, NodeId, size_t>>& asks, Millis deadline) {
  struct State {
    std::vector<LookupOutcome> outcomes;
    size_t ended = 0;
  };
  auto state = std::make_shared<State>();
  state->outcomes.resize(asks.size());
  Millis start = clock_.now();
  for (size_t i = 0; i < asks.size(); ++i) {
    const auto& [seeker, topic, wanted] = asks[i];
    size_t announcer = wanted;  // a structured binding cannot be captured before C++20's clang 16
    auto on_result = [this, state, i, announcer, start](const swarm::LookupResult& result) {
      LookupOutcome& out = state->outcomes[i];
      if (out.found) return;
      for (const Ipv4Address& peer : result.peers) {
        if (node_at(peer) == announcer) {
          out.found = true;
          out.hops = result.hops;
          out.first_find = clock_.now() - start;
          return;
        }
      }
    };
    auto on_done = [this, state, i, start](Status) {
      state->outcomes[i].ended = true;
      state->outcomes[i].end = clock_.now() - start;
      ++state->ended;
    };
    if (!alive(seeker) || !nodes_[seeker]->hyper->lookup(topic, std::nullopt, on_result, on_done)) {
      on_done(Status{});
    }
  }
  clock_.run_until(deadline, [&] { return state->ended == asks.size(); });
  return state->outcomes;
}

void DhtSim::kill(size_t index) {
  Node& node = *nodes_[index];
  ++node.generation;
  if (!node.joined && node.dht) --joining_;
  network_.plug(node.host, nullptr);
  node.discovery.reset();
  node.hyper.reset();
  node.dht.reset();
  node.joined = false;
  node.persistent = false;
}

void DhtSim::restart(size_t index) {
  ++joining_;
  start(index, false);
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

}  // namespace hypermount::sim
