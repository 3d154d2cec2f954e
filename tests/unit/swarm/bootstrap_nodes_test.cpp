// Bootstrap node lists: splitting "HOST:PORT,..." and looking the nodes up, strictly (a node
// that cannot be looked up is an error naming it) or not (it is left out, the rest kept).
#include "swarm/bootstrap_nodes.hpp"

#include <doctest/doctest.h>

namespace hypermount::swarm {
namespace {

TEST_CASE("bootstrap nodes: a list splits into its entries, empty ones left out") {
  CHECK(split_nodes("a:1,,b:2,") == std::vector<std::string>{"a:1", "b:2"});
  CHECK(split_nodes("").empty());
}

TEST_CASE("bootstrap nodes: unusable entries are left out unless strict") {
  // No name lookups leave this machine: numeric hosts, and entries refused before any lookup.
  const std::vector<std::string> nodes{":49737", "127.0.0.1:49737", "10.0.0.1", "127.0.0.2:7"};
  auto kept = resolve_nodes(nodes, false);
  REQUIRE(kept);
  REQUIRE(kept->size() == 2);
  CHECK((*kept)[0].to_string() == "127.0.0.1:49737");
  CHECK((*kept)[1].to_string() == "127.0.0.2:7");

  auto strict = resolve_nodes(nodes, true);
  REQUIRE_FALSE(strict);
  CHECK(strict.error().to_string().find("bootstrap node :49737:") != std::string::npos);  // the first refused

  auto none = resolve_nodes({":1", "10.0.0.1"}, false);  // all refused: empty, not an error
  REQUIRE(none);
  CHECK(none->empty());
}

}  // namespace
}  // namespace hypermount::swarm
