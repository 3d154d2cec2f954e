#include "swarm/dht_node.hpp"

#include "sim_network.hpp"
#include "swarm/payloads.hpp"
#include "swarm/query.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

using test::SimNetwork;

// A version-1 QUERY as a JS node sends it.
Message js_query(const char* command, uint64_t rid) {
  Message m;
  m.version = kDhtVersion;
  m.rid = rid;
  m.command = command;
  return m;
}

// A bootstrap node, `persistent` routing nodes that bootstrapped from it, and the network.
struct Dht {
  SimNetwork net;
  SimNetwork::Peer* root = nullptr;
  explicit Dht(size_t persistent) {
    root = &net.add(false);
    for (size_t i = 0; i < persistent; ++i) {
      auto& p = net.add(false, {root->address});
      REQUIRE(p.node->bootstrap(nullptr).ok());
      net.run();
    }
  }
};

TEST_CASE("dht node: persistent nodes bootstrap into each other's tables; ephemeral ones stay out") {
  Dht dht(30);
  CHECK(dht.root->node->table().size() == 30);
  auto& client = dht.net.add(true, {dht.root->address});
  bool done = false;
  REQUIRE(client.node->bootstrap([&](Status s) {
    CHECK(s.ok());
    done = true;
  }).ok());
  CHECK(!done);  // never inside the initiating call
  dht.net.run();
  CHECK(done);
  CHECK(client.node->table().size() >= 20);
  CHECK(dht.root->node->table().size() == 30);
  CHECK(client.node->pending_requests() == 0);
  CHECK(client.node->running_queries() == 0);
  // Every responder saw the client at the same address.
  CHECK(client.node->remote_address() == client.address);
}

TEST_CASE("dht node: announce then lookup through a 20-node DHT finds the announcer's source "
          "port and its local address") {
  Dht dht(20);
  auto& a = dht.net.add(true, {dht.root->address});
  auto& b = dht.net.add(true, {dht.root->address});
  NodeId topic{};
  topic[0] = 0x42;
  bool announced = false;
  AnnounceOptions options{0, parse_address("192.168.1.7:4444")};
  REQUIRE(a.hyper->announce(topic, options, nullptr, [&](Status s) {
    CHECK(s.ok());
    announced = true;
  }).ok());
  dht.net.run();
  REQUIRE(announced);

  std::set<Ipv4Address> found, local;
  bool looked_up = false;
  REQUIRE(b.hyper->lookup(topic, parse_address("192.168.3.3:1"),
      [&](const LookupResult& r) {
        found.insert(r.peers.begin(), r.peers.end());
        local.insert(r.local_peers.begin(), r.local_peers.end());
        CHECK(r.node_id);
      },
      [&](Status s) {
        CHECK(s.ok());
        looked_up = true;
      }).ok());
  dht.net.run();
  REQUIRE(looked_up);
  CHECK(found == std::set<Ipv4Address>{a.address});
  CHECK(local == std::set<Ipv4Address>{*parse_address("192.168.1.7:4444")});

  // After unannouncing, the record is gone.
  bool left = false;
  REQUIRE(a.hyper->unannounce(topic, options, [&](Status s) { left = s.ok(); }).ok());
  dht.net.run();
  CHECK(left);
  found.clear();
  REQUIRE(b.hyper->lookup(topic, std::nullopt,
      [&](const LookupResult& r) { found.insert(r.peers.begin(), r.peers.end()); },
      [](Status) {}).ok());
  dht.net.run();
  CHECK(found.empty());
}

TEST_CASE("dht node: a request is sent three times and times out after 10 ticks (7.5 s); unanswered, "
          "it punches through its referrer after a tick and with each retry") {
  SimNetwork net;
  auto& a = net.add(true);
  Ipv4Address nobody{{10, 9, 9, 9}, 9};
  net.kill(nobody);
  std::optional<Errc> result;
  Message ping;
  ping.command = "_ping";
  Ipv4Address referrer{{10, 8, 8, 8}, 8};
  net.kill(referrer);
  REQUIRE(a.node->request(MessageType::Query, {nobody, std::nullopt, referrer}, ping,
                          [&](Result<Reply> r) {
                            result = r ? std::optional<Errc>() : r.error().code();
                          }).ok());
  for (int tick = 1; tick < 10; ++tick) {
    net.tick();
    CHECK(!result);
  }
  net.tick();
  CHECK(result == Errc::Timeout);
  size_t sends = 0;
  size_t punches = 0;
  for (const auto& [to, bytes] : net.sent()) {
    sends += to == nobody;
    if (to == referrer) {
      // A hole punch through the referrer, after the first tick and with each retry.
      auto punch = decode_message(bytes);
      REQUIRE(punch.ok());
      CHECK(punch->command == "_holepunch");
      CHECK(decode_peer(*decode_holepunch(*punch->value)->to) == nobody);
      ++punches;
    }
  }
  CHECK(sends == 3);
  CHECK(punches == 3);
}

TEST_CASE("dht node: a dialler's hole punch probes the peer and asks the referrer to relay, with one "
          "rid; the peer's answer to the dialler completes it") {
  SimNetwork net;
  auto& referrer = net.add(false);
  auto& dialler = net.add(true);
  auto& target = net.add(true);
  std::optional<Result<Reply>> result;
  REQUIRE(dialler.node->holepunch(target.address, referrer.address,
                                  [&](Result<Reply> r) { result = std::move(r); }).ok());
  // Before any delivery: the probe to the peer (no value) and the relay request to the referrer.
  REQUIRE(net.sent().size() == 2);
  auto probe = decode_message(net.sent()[0].second);
  auto relay = decode_message(net.sent()[1].second);
  REQUIRE(probe.ok());
  REQUIRE(relay.ok());
  CHECK(net.sent()[0].first == target.address);
  CHECK(net.sent()[1].first == referrer.address);
  CHECK(probe->command == "_holepunch");
  CHECK_FALSE(probe->value);
  CHECK(relay->rid == probe->rid);
  CHECK(decode_peer(*decode_holepunch(*relay->value)->to) == target.address);
  net.run();
  REQUIRE(result);
  REQUIRE(result->ok());
  CHECK((*result)->from == target.address);
}

TEST_CASE("dht node: a dialler's hole punch through a silent referrer retries both, then times out") {
  SimNetwork net;
  auto& dialler = net.add(true);
  Ipv4Address target{{10, 9, 9, 9}, 9};
  Ipv4Address referrer{{10, 8, 8, 8}, 8};
  net.kill(target);
  net.kill(referrer);
  std::optional<Errc> result;
  REQUIRE(dialler.node->holepunch(target, referrer, [&](Result<Reply> r) {
                         result = r ? std::optional<Errc>() : r.error().code();
                       }).ok());
  for (int tick = 0; tick < 10; ++tick) net.tick();
  CHECK(result == Errc::Timeout);
  size_t probes = 0;
  size_t relays = 0;
  std::optional<uint64_t> rid;
  for (const auto& [to, bytes] : net.sent()) {
    auto m = decode_message(bytes);
    REQUIRE(m.ok());
    if (!rid) rid = m->rid;
    CHECK(m->rid == *rid);  // every send carries the one rid the answer will match
    probes += to == target;
    relays += to == referrer;
  }
  CHECK(probes == 3);
  CHECK(relays == 4);  // at once, after the first tick (the fast punch), and with each retry
}

TEST_CASE("dht node: UPDATEs need our token for the sender's IP; bad input gets no answer") {
  SimNetwork net;
  auto& server = net.add(false);
  Ipv4Address client{{10, 7, 7, 7}, 7777};
  NodeId topic{};
  Message update = js_query("peers", 5);
  update.type = MessageType::Update;
  update.target = Bytes(topic.begin(), topic.end());
  update.value = encode_peers_input({.port = 0, .local_address = {}, .unannounce = {}});
  update.roundtrip_token = Bytes(32, 1);
  net.inject(client, server.address, encode_message(update));
  size_t before = net.sent().size();
  net.run();
  CHECK(net.sent().size() == before);  // dropped silently
  CHECK(server.hyper->store().size() == 0);

  update.roundtrip_token = server.node->token_for(Ipv4Address{client.host, 1});  // IP only
  net.inject(client, server.address, encode_message(update));
  net.run();
  REQUIRE(net.sent().size() == before + 1);
  CHECK(server.hyper->store().size() == 1);

  // Malformed datagrams, a `peers` without value, a _ping for another id, an unknown command.
  for (const char* hex : {"", "00", "5801", "ffffffffffffffffffffff", "58010801100a1a00"}) {
    net.inject(client, server.address, from_hex(hex).value());
  }
  Message no_value = update;
  no_value.type = MessageType::Query;
  no_value.value.reset();
  net.inject(client, server.address, encode_message(no_value));
  Message ping = js_query("_ping", 76);
  ping.value = Bytes(32, 9);
  net.inject(client, server.address, encode_message(ping));
  net.run();
  CHECK(net.sent().size() == before + 1);

  Message unknown = js_query("nope", 77);
  unknown.target = Bytes(3, 0);
  net.inject(client, server.address, encode_message(unknown));
  net.run();
  REQUIRE(net.sent().size() == before + 2);
  auto reply = decode_message(net.sent().back().second);
  REQUIRE(reply.ok());
  CHECK(reply->rid == 77);
  CHECK(reply->error == "Unsupported command");
  CHECK(reply->closer_nodes == Bytes());
  CHECK(!reply->roundtrip_token);
}

TEST_CASE("dht node: a hole punch {to} is relayed with {from}; the target answers the origin") {
  SimNetwork net;
  auto& relay = net.add(false);
  auto& target = net.add(true);
  Ipv4Address origin{{10, 5, 5, 5}, 5555};
  Message punch = js_query("_holepunch", 900);
  Bytes to;
  put_peer(to, target.address);
  punch.value = encode_holepunch({.from = std::nullopt, .to = to});
  net.inject(origin, relay.address, encode_message(punch));
  net.run();
  const auto& sent = net.sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].first == target.address);
  auto relayed = decode_message(sent[0].second);
  REQUIRE(relayed.ok());
  CHECK(relayed->rid == 900);
  CHECK(decode_peer(*decode_holepunch(*relayed->value)->from) == origin);
  CHECK(sent[1].first == origin);
  auto answer = decode_message(sent[1].second);
  REQUIRE(answer.ok());
  CHECK(answer->type == MessageType::Response);
  CHECK(answer->rid == 900);
  CHECK(answer->to_address() == origin);
}

TEST_CASE("dht node: a walk through hostile nodes that name ever closer made-up nodes ends") {
  SimNetwork net;
  auto& client = net.add(true, {Ipv4Address{{10, 66, 0, 0}, 1}});
  NodeId target{};
  uint64_t next_distance = UINT64_MAX;
  uint32_t next_address = 1;
  // Every address outside the simulated nodes answers with 20 nodes closer than any before.
  net.elsewhere = [&](const Ipv4Address& from, const Ipv4Address& to, const Bytes& bytes) {
    auto request = decode_message(bytes);
    REQUIRE(request.ok());
    Message reply = js_query("", request->rid);
    reply.type = MessageType::Response;
    reply.command.reset();
    std::vector<NodeEntry> nodes;
    for (int i = 0; i < 20; ++i) {
      NodeEntry entry;
      put_u64be(entry.id.data() + 24, --next_distance);
      ++next_address;
      entry.address = {{10, 66, static_cast<uint8_t>(next_address >> 8),
                        static_cast<uint8_t>(next_address)}, 1};
      nodes.push_back(entry);
    }
    reply.closer_nodes.emplace();
    put_nodes(*reply.closer_nodes, nodes);
    net.inject(to, from, encode_message(reply));
  };
  bool done = false;
  QuerySpec spec;
  spec.command = "_find_node";
  spec.target = target;
  REQUIRE(client.node->query(spec, nullptr, [&](Status) { done = true; }).ok());
  net.run();
  CHECK(done);
  CHECK(net.sent().size() < 1200);
}

TEST_CASE("dht node: buckets hold 20 contacts; a full bucket pings its oldest and replaces it "
          "only if it is silent") {
  NodeId own{};
  RoutingTable table(own);
  for (uint8_t i = 0; i < 25; ++i) {
    NodeId id{};
    id[0] = 0x80;
    id[31] = i;
    std::optional<Contact> oldest;
    auto added = table.add({id, Ipv4Address{{10, 0, 0, 1}, static_cast<uint16_t>(1000 + i)}, i},
                           &oldest);
    CHECK(added == (i < 20 ? RoutingTable::Added::New : RoutingTable::Added::BucketFull));
    if (i >= 20) CHECK(oldest->id[31] == 0);
  }
  CHECK(table.size() == 20);
  NodeId self_id{};
  CHECK(table.add({self_id, {}, 0}) == RoutingTable::Added::Refused);
  CHECK(table.closest(own, 3).size() == 3);
}

TEST_CASE("dht node: a flood of queries, stray responses and junk from thousands of addresses "
          "leaves its state bounded") {
  SimNetwork net;
  auto& server = net.add(false);
  std::mt19937 rng(42);
  auto random_bytes = [&rng](size_t size) {
    Bytes b(size);
    for (auto& byte : b) byte = static_cast<uint8_t>(rng());
    return b;
  };
  constexpr size_t kSenders = 20000;
  for (size_t i = 0; i < kSenders; ++i) {
    const Ipv4Address from{{11, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)},
                           static_cast<uint16_t>(1000 + i % 50000)};
    // find_node from a node that claims a persistent id (each a candidate for the table)
    Message find = js_query("find_node", i);
    find.id = random_bytes(kIdSize);
    find.target = random_bytes(kIdSize);
    net.inject(from, server.address, encode_message(find));
    // a response nobody asked for
    Message stray;
    stray.version = kDhtVersion;
    stray.type = MessageType::Response;
    stray.rid = rng() & 0xffff;
    stray.id = random_bytes(kIdSize);
    stray.closer_nodes = random_bytes(kNodeEntrySize * 20);
    net.inject(from, server.address, encode_message(stray));
    // junk of any size up to the largest datagram
    net.inject(from, server.address, random_bytes(rng() % (i % 100 == 0 ? kMaxDatagramSize : 300)));
    if (i % 1000 == 999) net.run();
  }
  net.run();
  // Each find_node is answered once; nothing else is.
  CHECK(net.sent().size() >= kSenders);
  CHECK(net.sent().size() <= kSenders + server.node->pending_requests() + kBucketSize * 3);
  CHECK(server.node->table().size() <= kBucketSize * (kIdSize * 8 + 1));
  CHECK(server.node->pending_requests() <= kMaxPendingRequests);
  CHECK(server.node->running_queries() == 0);
  CHECK(server.hyper->store().size() == 0);
}

}  // namespace
}  // namespace hypermount::swarm
