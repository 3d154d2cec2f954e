#include "scenario.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace hypermount::sim {
namespace {

struct Inbox final : Receiver {
  void receive(const Ipv4Address& from, ByteView datagram) override {
    got.emplace_back(from, Bytes(datagram.begin(), datagram.end()));
  }
  std::vector<std::pair<Ipv4Address, Bytes>> got;
};

TEST_CASE("sim network: NAT kinds map and filter as RFC 4787 says; latency and loss hold") {
  EventQueue clock;
  Network net(clock, {20, 40, 0.0}, 7);
  Inbox open_in, cone_in, restricted_in, symmetric_in;
  size_t open = net.add_host(NatKind::Open);
  size_t cone = net.add_host(NatKind::FullCone);
  size_t restricted = net.add_host(NatKind::PortRestricted);
  size_t symmetric = net.add_host(NatKind::Symmetric);
  net.plug(open, &open_in);
  net.plug(cone, &cone_in);
  net.plug(restricted, &restricted_in);
  net.plug(symmetric, &symmetric_in);
  Ipv4Address open_at = *net.public_address(open);
  Ipv4Address cone_at = *net.public_address(cone);
  Ipv4Address restricted_at = *net.public_address(restricted);

  // Unsolicited: the open host and the full cone take it, the restricted one drops it.
  net.send(open, cone_at, {1});
  net.send(open, restricted_at, {2});
  clock.run_until(100);
  CHECK(cone_in.got.size() == 1);
  CHECK(restricted_in.got.empty());
  CHECK(net.filtered() == 1);
  // Once the restricted host sent to the open one, the open one gets through.
  net.send(restricted, open_at, {3});
  net.send(open, restricted_at, {4});
  clock.run_until(200);
  REQUIRE(restricted_in.got.size() == 1);
  CHECK(restricted_in.got[0].second == Bytes{4});
  CHECK(open_in.got.at(0).first == restricted_at);

  // A symmetric host shows each destination another port, open only to that destination.
  net.send(symmetric, open_at, {5});
  net.send(symmetric, cone_at, {6});
  clock.run_until(300);
  Ipv4Address towards_open = *net.public_address(symmetric, open_at);
  Ipv4Address towards_cone = *net.public_address(symmetric, cone_at);
  CHECK(towards_open.port != towards_cone.port);
  CHECK(open_in.got.back().first == towards_open);
  CHECK(net.owner(towards_cone) == symmetric);
  net.send(cone, towards_open, {7});  // not the destination that mapping was made for
  net.send(open, towards_open, {8});
  clock.run_until(400);
  REQUIRE(symmetric_in.got.size() == 1);
  CHECK(symmetric_in.got[0].second == Bytes{8});

  // Delivery takes the link's latency, 20-40 ms here, the same both ways.
  CHECK(cone_in.got.size() == 2);  // {1}, and {6} from the symmetric host
  Millis sent_at = clock.now();
  net.send(open, cone_at, {9});
  clock.run_until(sent_at + 19);
  CHECK(cone_in.got.size() == 2);
  clock.run_until(sent_at + 40);
  CHECK(cone_in.got.size() == 3);

  // A host that is down gets nothing; 30% loss loses about 30%.
  net.plug(cone, nullptr);
  net.send(open, cone_at, {10});
  clock.run_until(clock.now() + 100);
  CHECK(cone_in.got.size() == 3);
  Network lossy(clock, {1, 1, 0.3}, 9);
  Inbox a_in, b_in;
  size_t a = lossy.add_host(NatKind::Open);
  size_t b = lossy.add_host(NatKind::Open);
  lossy.plug(a, &a_in);
  lossy.plug(b, &b_in);
  for (int i = 0; i < 2000; ++i) lossy.send(a, *lossy.public_address(b), {1});
  clock.run_until(clock.now() + 10);
  CHECK(lossy.lost() > 500);
  CHECK(lossy.lost() < 700);
  CHECK(b_in.got.size() == 2000 - lossy.lost());
}

TEST_CASE("dht sim: nodes behind consistent NATs learn their address and turn persistent; "
          "symmetric ones stay ephemeral and out of routing tables") {
  SimConfig config;
  config.nodes = 120;
  config.seed = 3;
  DhtSim sim(config);
  REQUIRE(sim.join_all(600'000));
  size_t persistent = 0, symmetric = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (sim.bootstrap_node(i)) continue;
    NatKind kind = sim.network().kind(sim.host(i));
    CAPTURE(nat_name(kind));
    if (kind == NatKind::Symmetric) {
      ++symmetric;
      CHECK(!sim.persistent(i));
      CHECK(!sim.dht(i).holepunchable());
      continue;
    }
    ++persistent;
    CHECK(sim.persistent(i));
    CHECK(sim.dht(i).remote_address() == sim.network().public_address(sim.host(i)));
  }
  CHECK(symmetric > 5);
  CHECK(persistent > 80);
  // Tables hold persistent nodes only, under the address their NAT shows everyone.
  size_t entries = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    swarm::RoutingTable& table = sim.dht(i).table();
    for (const swarm::Contact& c : table.oldest(table.size())) {
      ++entries;
      auto owner = sim.node_at(c.address);
      REQUIRE(owner.has_value());
      CHECK(sim.persistent(*owner));
      CHECK(sim.dht(*owner).id() == c.id);
    }
  }
  CHECK(entries > 20 * sim.size());
  CHECK(sim.network().filtered() > 0);  // restricted and symmetric NATs dropped unsolicited
}

TEST_CASE("dht sim: 300 nodes find every announcer in about log2 N hops, still after 20% churn "
          "and the re-announce interval, at a bounded datagram cost") {
  SimConfig config;
  config.nodes = 300;
  config.seed = 11;
  DhtSim sim(config);
  ScenarioConfig scenario;
  scenario.topics = 15;
  scenario.lookups = 100;
  ScenarioReport r = run_scenario(sim, scenario);
  REQUIRE(r.joined);
  double log_n = std::log2(static_cast<double>(sim.size()));
  for (const LookupFigures* f : {&r.before, &r.after_churn, &r.after_reannounce}) {
    REQUIRE(f->asked == scenario.lookups);
    CHECK(percentile(f->hops, 0.9) <= log_n);
    CHECK(percentile(f->hops, 1.0) <= 2 * log_n);
    // First finds take a few round trips (one way is 10-100 ms), not retry timeouts.
    CHECK(percentile(f->first_find, 0.5) < 1000);
  }
  CHECK(r.before.found == r.before.asked);
  CHECK(r.killed >= sim.size() / 6);
  // Killing a fifth of the nodes loses few records at once (20 replicas each) ...
  CHECK(r.after_churn.found >= r.after_churn.asked * 95 / 100);
  // ... and the announcers' next rounds restore them all.
  CHECK(r.after_reannounce.found == r.after_reannounce.asked);
  // Housekeeping pings, re-announcements and table upkeep: tens of datagrams a minute.
  CHECK(percentile(r.sent_per_minute, 0.5) > 1);
  CHECK(percentile(r.sent_per_minute, 0.9) < 120);
  CHECK(percentile(r.received_per_minute, 0.9) < 120);
}

}  // namespace
}  // namespace hypermount::sim
