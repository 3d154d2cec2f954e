#include "swarm/payloads.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

Bytes hex(const std::string& text) { return from_hex(text).value(); }

TEST_CASE("payloads: PeersInput as hyperswarm sends it (spec swarm.md §12)") {
  auto announce = decode_peers_input(hex("0800"));
  REQUIRE(announce.ok());
  CHECK(announce->port == 0u);
  CHECK(!announce->local_address);
  CHECK(to_hex(encode_peers_input(*announce)) == "0800");

  auto explicit_port = decode_peers_input(hex("08b32b1206c0a80107115c"));
  REQUIRE(explicit_port.ok());
  CHECK(explicit_port->port == 5555u);
  CHECK(decode_peer(*explicit_port->local_address)->to_string() == "192.168.1.7:4444");
  CHECK(to_hex(encode_peers_input(*explicit_port)) == "08b32b1206c0a80107115c");

  auto lookup = decode_peers_input({});
  REQUIRE(lookup.ok());
  CHECK(*lookup == PeersInput{});
  PeersInput leave{.port = 0, .local_address = {}, .unannounce = true};
  CHECK(to_hex(encode_peers_input(leave)) == "08001801");
  CHECK(!decode_peers_input(hex("0a01")).ok());
}

TEST_CASE("payloads: PeersOutput with peers and a local peer (spec swarm.md §12)") {
  const std::string value = "0a0c7f0000019c417f00000115b312040107115c";
  auto out = decode_peers_output(hex(value));
  REQUIRE(out.ok());
  REQUIRE(out->peers.size() == 2);
  CHECK(out->peers[0].to_string() == "127.0.0.1:40001");
  CHECK(out->peers[1].to_string() == "127.0.0.1:5555");
  REQUIRE(out->local_peers.size() == 1);
  auto own = parse_address("192.168.9.9:1").value();
  CHECK(local_peer_address(own, out->local_peers[0]).to_string() == "192.168.1.7:4444");
  CHECK(local_peer_address(parse_address("10.0.5.5:1").value(), out->local_peers[0])
            .to_string() == "10.0.1.7:4444");
  CHECK(to_hex(encode_peers_output(*out)) == value);
  CHECK(local_suffix_of(parse_address("192.168.1.7:4444").value()) == out->local_peers[0]);
  CHECK(encode_peers_output({}).empty());
  // A peers list that does not decode reads as empty; bad localPeers are an error.
  CHECK(decode_peers_output(hex("0a03010203"))->peers.empty());
  CHECK(!decode_peers_output(hex("1203010203")).ok());
}

TEST_CASE("payloads: Holepunch forms of the spec's capture") {
  auto to = decode_holepunch(hex("1a06c63364019f97"));
  REQUIRE(to.ok());
  CHECK(decode_peer(*to->to)->to_string() == "198.51.100.1:40855");
  CHECK(!to->from);
  CHECK(to_hex(encode_holepunch(*to)) == "1a06c63364019f97");
  CHECK(!decode_holepunch(hex("1a06c633")).ok());
}

}  // namespace
}  // namespace hypermount::swarm
