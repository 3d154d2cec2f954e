#include "swarm/bootstrap_nodes.hpp"

#include "util/log.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <fmt/format.h>

namespace hypermount::swarm {

const std::vector<std::string> kPublicBootstrap{"bootstrap1.hyperdht.org:49737", "bootstrap2.hyperdht.org:49737",
                                                "bootstrap3.hyperdht.org:49737"};

Result<std::vector<std::string>> resolve_nodes(const std::vector<std::string>& nodes, bool strict) {
  std::vector<std::string> out;
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
      log::warn("swarm", "bootstrap node {} left out: {}", node, why);
      continue;
    }
    char text[INET_ADDRSTRLEN];
    const auto* at = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    ::inet_ntop(AF_INET, &at->sin_addr, text, sizeof text);
    out.push_back(fmt::format("{}:{}", text, ntohs(at->sin_port)));
    ::freeaddrinfo(found);
  }
  return out;
}

}  // namespace hypermount::swarm
