// The DHT bootstrap nodes a process joins through: hyperswarm 2's public ones by default, or
// the user's, looked up by name when the DHT starts (the DHT itself speaks IPv4 only).
#pragma once

#include "swarm/address.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hypermount::swarm {

// @hyperswarm/dht 4's defaults (spec swarm.md §11).
extern const std::vector<std::string> kPublicBootstrap;

// "HOST:PORT,HOST:PORT" as its entries (empty ones left out).
std::vector<std::string> split_nodes(std::string_view list);

// Each HOST:PORT as an IPv4 address, host names looked up (their first IPv4 address).
// `strict`: InvalidArgument naming a node that cannot be looked up; otherwise such a node is
// left out with a warning (no network, no DNS: the DHT is then off and LAN discovery remains).
Result<std::vector<Ipv4Address>> resolve_nodes(const std::vector<std::string>& nodes, bool strict);

}  // namespace hypermount::swarm
