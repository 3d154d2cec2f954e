#include "swarm/discovery.hpp"

#include "util/log.hpp"

namespace hypermount::swarm {

namespace {

// A new round 300-600 s after the last one ended, in 5-s housekeeping ticks (swarm.md §5).
constexpr uint64_t kRoundMinTicks = 60;
constexpr uint64_t kRoundSpreadTicks = 60;

}  // namespace

void Discovery::join(const NodeId& topic, JoinOptions options,
                     std::function<void(const FoundPeer&)> on_peer,
                     std::function<void(Status)> on_round) {
  topics_[topic] = Topic{std::move(options), std::move(on_peer), std::move(on_round)};
  run_round(topic);
}

void Discovery::leave(const NodeId& topic) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  if (it->second.options.announce) {
    auto status = dht_.unannounce(topic, it->second.options.announce_options, [](Status s) {
      if (!s) log::debug("swarm", "unannounce: {}", s.error().to_string());
    });
    if (!status) log::debug("swarm", "unannounce: {}", status.error().to_string());
  }
  topics_.erase(it);
}

void Discovery::housekeeping() {
  ++ticks_;
  std::vector<NodeId> due;
  for (auto& [topic, t] : topics_) {
    if (!t.running && t.next_round <= ticks_) due.push_back(topic);
  }
  for (const NodeId& topic : due) run_round(topic);
}

void Discovery::run_round(const NodeId& topic) {
  Topic& t = topics_.at(topic);
  if (!t.options.announce && !t.options.lookup) return;
  t.running = true;
  auto on_result = [this, topic](const LookupResult& result) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    for (const Ipv4Address& peer : result.peers) {
      it->second.on_peer(FoundPeer{topic, peer, false, result.node});
    }
    for (const Ipv4Address& peer : result.local_peers) {
      it->second.on_peer(FoundPeer{topic, peer, true, std::nullopt});
    }
  };
  auto on_done = [this, topic](Status status) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    it->second.running = false;
    it->second.next_round = ticks_ + kRoundMinTicks + node_.random_below(kRoundSpreadTicks);
    if (it->second.on_round) it->second.on_round(std::move(status));
  };
  Status started = t.options.announce
                       ? dht_.announce(topic, t.options.announce_options, on_result, on_done)
                       : dht_.lookup(topic, t.options.announce_options.local_address, on_result,
                                     on_done);
  if (!started) {
    // Too busy now: try again at the next housekeeping tick.
    t.running = false;
    t.next_round = ticks_ + 1;
  }
}

}  // namespace hypermount::swarm
