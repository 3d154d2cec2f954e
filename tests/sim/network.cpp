#include "network.hpp"

#include "splitmix.hpp"

#include <functional>
namespace hypermount::sim {
std::function<void(const Ipv4Address&, const Ipv4Address&, const Bytes&, int)> g_tap;

namespace {

uint32_t ip_value(const std::array<uint8_t, 4>& ip) {
  return uint32_t{ip[0]} << 24 | uint32_t{ip[1]} << 16 | uint32_t{ip[2]} << 8 | ip[3];
}

// Open hosts live in 11.0.0.0/8, NATs' public sides in 100.0.0.0/8.
constexpr uint16_t kOpenPort = 49737;

}  // namespace

const char* nat_name(NatKind kind) {
  switch (kind) {
    case NatKind::Open: return "open";
    case NatKind::FullCone: return "full-cone";
    case NatKind::PortRestricted: return "port-restricted";
    case NatKind::Symmetric: return "symmetric";
  }
  return "?";
}

Network::Network(EventQueue& clock, LinkProfile link, uint64_t seed)
    : clock_(clock), link_(link), rng_(seed) {}

uint64_t Network::key(const Ipv4Address& address) {
  return uint64_t{ip_value(address.host)} << 16 | address.port;
}

double Network::uniform() { return static_cast<double>(splitmix(rng_) >> 11) * 0x1.0p-53; }

size_t Network::add_host(NatKind kind) {
  size_t index = hosts_.size();
  auto n = static_cast<uint32_t>(index + 1);
  uint8_t first = kind == NatKind::Open ? 11 : 100;
  Host host;
  host.kind = kind;
  host.ip = {first, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
             static_cast<uint8_t>(n)};
  hosts_.push_back(std::move(host));
  return index;
}

void Network::forget_mappings(size_t index) {
  Host& host = hosts_[index];
  if (host.port != 0) endpoints_.erase(key({host.ip, host.port}));
  for (const auto& [to, port] : host.mapping_to) endpoints_.erase(key({host.ip, port}));
  host.mapping_to.clear();
  host.contacted.clear();
  host.port = 0;
}

void Network::plug(size_t index, Receiver* receiver) {
  Host& host = hosts_[index];
  if (receiver != nullptr && host.receiver == nullptr) {
    forget_mappings(index);
    // A NAT picks a port at random; the sequence of a Symmetric NAT's ports starts anywhere.
    auto random_port = [this] { return static_cast<uint16_t>(1024 + splitmix(rng_) % 64000); };
    if (host.kind == NatKind::Open) host.port = kOpenPort;
    if (host.kind == NatKind::FullCone || host.kind == NatKind::PortRestricted) {
      host.port = random_port();
    }
    host.next_port = random_port();
    if (host.port != 0) endpoints_[key({host.ip, host.port})] = Endpoint{index, std::nullopt};
  }
  host.receiver = receiver;
}

Ipv4Address Network::source_towards(Host& host, size_t index, const Ipv4Address& to) {
  if (host.kind == NatKind::PortRestricted) host.contacted.insert(key(to));
  if (host.kind != NatKind::Symmetric) return {host.ip, host.port};
  auto [it, added] = host.mapping_to.try_emplace(key(to), 0);
  if (added) {
    do {
      host.next_port = static_cast<uint16_t>(host.next_port < 65535 ? host.next_port + 1 : 1024);
    } while (endpoints_.contains(key({host.ip, host.next_port})));
    it->second = host.next_port;
    endpoints_[key({host.ip, it->second})] = Endpoint{index, key(to)};
  }
  return {host.ip, it->second};
}

std::optional<Ipv4Address> Network::public_address(size_t index,
                                                   const std::optional<Ipv4Address>& to) const {
  const Host& host = hosts_[index];
  if (host.kind != NatKind::Symmetric) return Ipv4Address{host.ip, host.port};
  if (!to) return std::nullopt;
  auto it = host.mapping_to.find(key(*to));
  if (it == host.mapping_to.end()) return std::nullopt;
  return Ipv4Address{host.ip, it->second};
}

std::optional<size_t> Network::owner(const Ipv4Address& address) const {
  auto it = endpoints_.find(key(address));
  if (it == endpoints_.end()) return std::nullopt;
  return it->second.host;
}

bool Network::admits(const Endpoint& endpoint, const Ipv4Address& from) const {
  const Host& host = hosts_[endpoint.host];
  switch (host.kind) {
    case NatKind::Open:
    case NatKind::FullCone: return true;
    case NatKind::PortRestricted: return host.contacted.contains(key(from));
    case NatKind::Symmetric: return endpoint.only_from == key(from);
  }
  return false;
}

Millis Network::latency(const std::array<uint8_t, 4>& a, const std::array<uint8_t, 4>& b) const {
  // Fixed per pair of hosts, the same both ways.
  uint64_t x = ip_value(a), y = ip_value(b);
  uint64_t state = (std::min(x, y) << 32 | std::max(x, y)) ^ 0x5bd1e995ULL;
  Millis spread = link_.max_latency - link_.min_latency + 1;
  return link_.min_latency + splitmix(state) % spread;
}

void Network::send(size_t index, const Ipv4Address& to, Bytes datagram) {
  Host& host = hosts_[index];
  if (host.receiver == nullptr) return;
  ++host.traffic.sent;
  Ipv4Address from = source_towards(host, index, to);
  if (uniform() < link_.loss) {
    if (g_tap) g_tap(from, to, datagram, 0);
    ++lost_;
    return;
  }
  clock_.after(latency(host.ip, to.host), [this, from, to, datagram = std::move(datagram)] {
    auto it = endpoints_.find(key(to));
    if (it == endpoints_.end()) return;
    Host& target = hosts_[it->second.host];
    if (target.receiver == nullptr) return;
    if (g_tap) g_tap(from, to, datagram, admits(it->second, from) ? 1 : 2);
    if (!admits(it->second, from)) {
      ++filtered_;
      return;
    }
    ++target.traffic.received;
    target.receiver->receive(from, datagram);
  });
}

}  // namespace hypermount::sim
