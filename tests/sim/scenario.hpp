// The measured scenario of the DHT simulation, shared by the unit test and the bench: nodes
// join, some announce topics, others look them up; a steady window is counted; a share of the
// nodes churns; lookups run again at once and after the re-announce interval. Single thread.
#pragma once

#include "dht_sim.hpp"

namespace hypermount::sim {

struct ScenarioConfig {
  size_t topics = 20;        // each announced by one node
  size_t lookups = 200;      // per phase: a random live seeker asks for a random topic
  double churn = 0.2;        // share of the other nodes killed after the steady window
  double restart_share = 0.5;  // share of the killed nodes restarted at once as fresh nodes
  Millis steady_window = 600'000;   // datagrams are counted over this span
  Millis reannounce_wait = 630'000;  // discovery re-announces 300-600 s after each round
};

struct LookupFigures {
  size_t asked = 0;
  size_t found = 0;
  std::vector<double> hops;        // of the lookups that found their announcer
  std::vector<double> first_find;  // virtual ms
  std::vector<double> end;         // virtual ms, of every lookup that ended
};

struct ScenarioReport {
  Millis join_time = 0;  // virtual ms until every node joined
  bool joined = false;
  size_t persistent = 0;  // joining nodes that turned persistent
  LookupFigures before, after_churn, after_reannounce;
  std::vector<double> sent_per_minute;      // per live joining node, over the steady window
  std::vector<double> received_per_minute;
  std::vector<std::string> traffic_kind;  // beside them: NAT kind, "/P" persistent, "/E" not
  size_t killed = 0;
  size_t restarted = 0;
};

// Runs the scenario on `sim` (fresh); `progress` (optional) hears each phase's name.
ScenarioReport run_scenario(DhtSim& sim, const ScenarioConfig& config,
                            const std::function<void(const char*)>& progress = nullptr);

}  // namespace hypermount::sim
