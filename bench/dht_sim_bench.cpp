// The DHT simulation at scale: for each N, the unchanged DHT code on a simulated network of N
// nodes (tests/sim), printing lookup hops beside log2 N, first-find time, lookups that find
// their announcer before and after churn, datagrams per node per minute, and memory per node.
// Kinds: NAT kind, then /P for nodes that turned persistent, /E for those that stayed ephemeral.
// usage: dht_sim_bench [N...]   (default: 1000 3000 10000)
#include "scenario.hpp"

#include <fmt/core.h>
#include <malloc.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

using namespace hypermount::sim;

namespace {

size_t heap_bytes() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::string found(const LookupFigures& f) { return fmt::format("{}/{}", f.found, f.asked); }

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {1000, 3000, 10000};
  ScenarioConfig scenario;
  fmt::print("DHT simulation: 3 bootstrap nodes; joining nodes 40% open, 25% full-cone, 20% "
             "port-restricted, 15% symmetric NAT; one-way latency 10-100 ms per link, 1% loss; "
             "{} topics, {} lookups per phase; churn kills {:.0f}% of the other nodes and "
             "restarts half of those\n",
             scenario.topics, scenario.lookups, scenario.churn * 100);
  fmt::print("{:>6} {:>6} {:>9} {:>9} {:>14} {:>9} {:>9} {:>9} {:>11} {:>11} {:>8} {:>6}\n", "N",
             "log2N", "hops p50", "hops p90", "find ms p50/90", "found", "churned", "re-ann",
             "dg/min sent", "dg/min recv", "KiB/node", "wall s");
  for (size_t n : sizes) {
    auto wall = std::chrono::steady_clock::now();
    size_t heap = heap_bytes();
    SimConfig config;
    config.nodes = n;
    config.seed = n;
    DhtSim sim(config);
    size_t per_node = 0;
    ScenarioReport r = run_scenario(sim, scenario, [&](const char* phase) {
      if (std::string_view(phase) == "announce") per_node = (heap_bytes() - heap) / sim.size();
    });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    const LookupFigures& b = r.before;
    fmt::print("{:>6} {:>6.1f} {:>9} {:>9} {:>14} {:>9} {:>9} {:>9} {:>11} {:>11} {:>8} {:>6.0f}\n",
               n, std::log2(static_cast<double>(n)), percentile(b.hops, 0.5),
               percentile(b.hops, 0.9),
               fmt::format("{}/{}", percentile(b.first_find, 0.5), percentile(b.first_find, 0.9)),
               found(b), found(r.after_churn), found(r.after_reannounce),
               fmt::format("{:.0f}/{:.0f}", percentile(r.sent_per_minute, 0.5),
                           percentile(r.sent_per_minute, 0.9)),
               fmt::format("{:.0f}/{:.0f}", percentile(r.received_per_minute, 0.5),
                           percentile(r.received_per_minute, 0.9)),
               per_node / 1024, seconds);
    fmt::print("       joined all: {} at {:.0f} s virtual; {} of {} joining nodes turned "
               "persistent; churn killed {} and restarted {}; hops p50/p90 after churn {}/{}, "
               "after re-announce {}/{}\n",
               r.joined ? "yes" : "NO", static_cast<double>(r.join_time) / 1000, r.persistent, n,
               r.killed, r.restarted, percentile(r.after_churn.hops, 0.5),
               percentile(r.after_churn.hops, 0.9), percentile(r.after_reannounce.hops, 0.5),
               percentile(r.after_reannounce.hops, 0.9));
    fmt::print("       lookups end (last answer or timeout) p50/p90 {}/{} ms; datagrams sent per "
               "minute p50/p90 by kind:",
               percentile(b.end, 0.5), percentile(b.end, 0.9));
    std::map<std::string, std::vector<double>> by_kind;
    for (size_t i = 0; i < r.traffic_kind.size(); ++i) {
      by_kind[r.traffic_kind[i]].push_back(r.sent_per_minute[i]);
    }
    for (const auto& [kind, sent] : by_kind) {
      fmt::print(" {} {:.0f}/{:.0f} ({})", kind, percentile(sent, 0.5), percentile(sent, 0.9),
                 sent.size());
    }
    fmt::print("\n");
    std::fflush(stdout);
  }
  return 0;
}
