#include "swarm/address.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

TEST_CASE("address: compact peers and node lists as in the spec's captures") {
  auto a = parse_address("198.51.100.10:49737");
  REQUIRE(a);
  Bytes out;
  put_peer(out, *a);
  CHECK(to_hex(out) == "c633640ac249");
  CHECK(decode_peer(out) == a);
  CHECK(!decode_peer(from_hex("c633640a0000").value()));  // port 0
  CHECK(!decode_peer(from_hex("000000000050").value()));  // host 0.0.0.0
  CHECK(!decode_peers(from_hex("c633640ac2").value()));
  CHECK(decode_peers({})->empty());
  CHECK(!parse_address("localhost:80"));
  CHECK(!parse_address("1.2.3.4:0"));
  CHECK(!parse_address("1.2.3.4:65536"));
  CHECK(!parse_address("1.2.3.4"));

  // Two node entries of a captured _find_node response (loopback).
  const std::string two =
      "c22fe7bfa518f91c85bd5308e58a6272334b5e57221de347edba89e8837f14cd7f000001a099"
      "cdba7f94f4fc8321aef93a5dfdba76a4c7a1901e1ad402a3b2220787aeb202407f000001d376";
  auto nodes = decode_nodes(from_hex(two).value());
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[1].address.to_string() == "127.0.0.1:54134");
  Bytes again;
  put_nodes(again, *nodes);
  CHECK(to_hex(again) == two);
  CHECK(!decode_nodes(from_hex(two.substr(0, 74)).value()));
}

TEST_CASE("address: XOR closeness") {
  NodeId target{}, a{}, b{};
  a[0] = 0x01;
  b[0] = 0x80;
  CHECK(closer(target, a, b));
  CHECK(!closer(target, b, a));
  CHECK(!closer(target, a, a));
  target[0] = 0x80;
  CHECK(closer(target, b, a));
}

}  // namespace
}  // namespace hypermount::swarm
