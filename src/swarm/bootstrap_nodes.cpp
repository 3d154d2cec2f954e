#include "swarm/bootstrap_nodes.hpp"

#include "util/log.hpp"

#include <netdb.h>

#include <algorithm>

namespace hypermount::swarm {

const std::vector<std::string> kPublicBootstrap{"bootstrap1.hyperdht.org:49737", "bootstrap2.hyperdht.org:49737",
                                                "bootstrap3.hyperdht.org:49737"};

std::vector<std::string> split_nodes(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t comma = std::min(list.find(','), list.size());
    if (comma > 0) out.emplace_back(list.substr(0, comma));
    list.remove_prefix(std::min(comma + 1, list.size()));
  }
  return out;
}

Result<std::vector<Ipv4Address>> resolve_nodes(const std::vector<std::string>& nodes, bool strict) {
  std::vector<Ipv4Address> out;
  std::vector<std::string> missed;  // "NODE (why)"
  for (const std::string& node : nodes) {
    const size_t colon = node.rfind(':');
    const std::string host = node.substr(0, colon == std::string::npos ? 0 : colon);
    const std::string port = colon == std::string::npos ? "" : node.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int rc = host.empty() || port.empty() ? EAI_NONAME : ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
      const std::string why = rc == 0 ? "no IPv4 address" : gai_strerror(rc);
      if (strict) return Error::invalid("bootstrap node {}: {}", node, why);
      missed.push_back(fmt::format("{} ({})", node, why));
      continue;
    }
    out.push_back(Ipv4Address::from_sockaddr(*reinterpret_cast<const sockaddr_in*>(found->ai_addr)));
    ::freeaddrinfo(found);
  }
  // One line, not one per node: offline, every mount would otherwise open with three warnings.
  if (!missed.empty()) {
    const char* what = out.empty() ? "no bootstrap node could be looked up, so the DHT is off (LAN discovery remains)"
                                   : "bootstrap nodes left out";
    log::warn("swarm", "{}: {}", what, fmt::join(missed, ", "));
  }
  return out;
}

}  // namespace hypermount::swarm
