#include "scenario.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace hypermount::sim {

namespace {

constexpr Millis kLookupDeadline = 120'000;
constexpr Millis kAnnounceDeadline = 120'000;
constexpr Millis kJoinGrace = 600'000;

using Ask = std::tuple<size_t, NodeId, size_t>;

LookupFigures measure(DhtSim& sim, const std::vector<std::pair<NodeId, size_t>>& topics,
                      const std::set<size_t>& announcers, size_t count) {
  std::vector<Ask> asks;
  while (asks.size() < count) {
    size_t seeker = sim.random_below(sim.size());
    if (sim.bootstrap_node(seeker) || !sim.alive(seeker) || announcers.contains(seeker)) continue;
    const auto& [topic, announcer] = topics[sim.random_below(topics.size())];
    asks.emplace_back(seeker, topic, announcer);
  }
  LookupFigures figures;
  for (const LookupOutcome& out : sim.lookup(asks, sim.clock().now() + kLookupDeadline)) {
    ++figures.asked;
    if (out.ended) figures.end.push_back(static_cast<double>(out.end));
    if (!out.found) continue;
    ++figures.found;
    figures.hops.push_back(static_cast<double>(out.hops));
    figures.first_find.push_back(static_cast<double>(out.first_find));
  }
  return figures;
}

}  // namespace

ScenarioReport run_scenario(DhtSim& sim, const ScenarioConfig& config,
                            const std::function<void(const char*)>& progress) {
  auto phase = [&](const char* name) {
    if (progress) progress(name);
  };
  ScenarioReport report;
  phase("join");
  report.joined = sim.join_all(sim.config().join_spread + kJoinGrace);
  report.join_time = sim.clock().now();
  for (size_t i = 0; i < sim.size(); ++i) {
    if (!sim.bootstrap_node(i) && sim.persistent(i)) ++report.persistent;
  }

  phase("announce");
  std::vector<std::pair<NodeId, size_t>> topics;
  std::set<size_t> announcers;
  while (topics.size() < config.topics) {
    size_t node = sim.random_below(sim.size());
    if (sim.bootstrap_node(node) || announcers.contains(node)) continue;
    NodeId topic;
    for (auto& byte : topic) byte = static_cast<uint8_t>(sim.random_below(256));
    announcers.insert(node);
    topics.emplace_back(topic, node);
    sim.announce(node, topic);
  }
  sim.settle_announcements(sim.clock().now() + kAnnounceDeadline);

  phase("lookups");
  report.before = measure(sim, topics, announcers, config.lookups);

  phase("steady window");
  std::vector<HostTraffic> start(sim.size());
  for (size_t i = 0; i < sim.size(); ++i) start[i] = sim.network().traffic(sim.host(i));
  sim.run_for(config.steady_window);
  double minutes = static_cast<double>(config.steady_window) / 60'000.0;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (sim.bootstrap_node(i) || !sim.alive(i)) continue;
    const HostTraffic& now = sim.network().traffic(sim.host(i));
    report.sent_per_minute.push_back(static_cast<double>(now.sent - start[i].sent) / minutes);
    report.received_per_minute.push_back(static_cast<double>(now.received - start[i].received) /
                                         minutes);
    report.traffic_kind.push_back(std::string(nat_name(sim.network().kind(sim.host(i)))) +
                                  (sim.persistent(i) ? "/P" : "/E"));
  }

  phase("churn");
  std::vector<size_t> others;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (!sim.bootstrap_node(i) && !announcers.contains(i) && sim.alive(i)) others.push_back(i);
  }
  auto kills = static_cast<size_t>(config.churn * static_cast<double>(others.size()));
  std::vector<size_t> killed;
  for (size_t k = 0; k < kills; ++k) {
    size_t pick = sim.random_below(others.size() - k);
    std::swap(others[pick], others[others.size() - 1 - k]);
    killed.push_back(others[others.size() - 1 - k]);
    sim.kill(killed.back());
  }
  report.killed = killed.size();
  report.restarted = static_cast<size_t>(config.restart_share * static_cast<double>(killed.size()));
  for (size_t k = 0; k < report.restarted; ++k) sim.restart(killed[k]);
  report.after_churn = measure(sim, topics, announcers, config.lookups);

  phase("re-announce");
  sim.run_for(config.reannounce_wait);
  report.after_reannounce = measure(sim, topics, announcers, config.lookups);
  return report;
}

}  // namespace hypermount::sim
