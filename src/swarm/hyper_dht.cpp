#include "swarm/hyper_dht.hpp"

#include "swarm/payloads.hpp"
#include "swarm/query.hpp"

namespace hypermount::swarm {

namespace {

constexpr const char* kPeers = "peers";
// Records age by one generation every 8 min (96 housekeeping ticks of 5 s).
constexpr uint64_t kRotateTicks = 96;

std::string topic_key(ByteView topic) { return to_hex(topic); }

// Local records of a topic sit under the first two octets of the announcer's LAN address.
std::string local_key(ByteView topic, const Ipv4Address& local) {
  return topic_key(topic) + "@local." + to_hex(ByteView(local.host.data(), 2));
}

Bytes bytes_of(const Ipv4Address& address) {
  Bytes out;
  put_peer(out, address);
  return out;
}

Bytes input_value(const AnnounceOptions& options, bool unannounce) {
  PeersInput input;
  input.port = options.port;
  if (options.local_address) input.local_address = bytes_of(*options.local_address);
  if (unannounce) input.unannounce = true;
  return encode_peers_input(input);
}

}  // namespace

HyperDht::HyperDht(DhtNode& node) : node_(node) {
  node_.register_command(kPeers, [this](const IncomingRequest& r) { return on_peers(r); });
}

void HyperDht::housekeeping() {
  if (++ticks_ % kRotateTicks == 0) store_.rotate();
}

std::optional<CommandReply> HyperDht::on_peers(const IncomingRequest& request) {
  const Message& m = request.message;
  // A JS node crashes on a `peers` request without a value; we ignore it. Targets are topics.
  if (!m.value || !m.target || m.target->size() != kIdSize) return std::nullopt;
  auto input = decode_peers_input(*m.value);
  if (!input) return std::nullopt;
  uint64_t port = input->port.value_or(0) != 0 ? *input->port : request.from.port;
  if (port > UINT16_MAX) return CommandReply{std::nullopt, "Invalid port"};
  Ipv4Address announcer{request.from.host, static_cast<uint16_t>(port)};
  Bytes record = bytes_of(announcer);
  std::optional<Ipv4Address> local;
  if (input->local_address) local = decode_peer(*input->local_address);
  Bytes local_record;
  if (local) {
    LocalSuffix suffix = local_suffix_of(*local);
    local_record.assign(suffix.begin(), suffix.end());
  }
  const std::string key = topic_key(*m.target);

  if (m.type == MessageType::Update) {
    bool leave = input->unannounce.value_or(false);
    if (leave) {
      store_.remove(key, record);
    } else {
      store_.add(key, record);
    }
    if (local) {
      if (leave) {
        store_.remove(local_key(*m.target, *local), local_record);
      } else {
        store_.add(local_key(*m.target, *local), local_record);
      }
    }
    return CommandReply{};
  }
  auto random_below = [this](uint64_t bound) { return node_.random_below(bound); };
  PeersOutput output;
  if (local) {
    for (const Bytes& r : store_.get(local_key(*m.target, *local), kMaxLocalPeersPerReply,
                                     local_record, random_below)) {
      LocalSuffix suffix;
      std::copy(r.begin(), r.end(), suffix.begin());
      output.local_peers.push_back(suffix);
    }
  }
  for (const Bytes& r : store_.get(key, kMaxPeersPerReply - output.local_peers.size(), record,
                                   random_below)) {
    output.peers.push_back(*decode_peer(r));
  }
  return CommandReply{encode_peers_output(output), std::nullopt};
}

Status HyperDht::announce(const NodeId& topic, const AnnounceOptions& options,
                          OnResult on_result, OnDone on_done) {
  QuerySpec spec{QuerySpec::Mode::QueryAndUpdate, kPeers, topic, input_value(options, false)};
  return node_.query(std::move(spec), results_of(options.local_address, std::move(on_result)),
                     std::move(on_done));
}

Status HyperDht::unannounce(const NodeId& topic, const AnnounceOptions& options, OnDone on_done) {
  QuerySpec spec{QuerySpec::Mode::Update, kPeers, topic, input_value(options, true)};
  return node_.query(std::move(spec), nullptr, std::move(on_done));
}

Status HyperDht::lookup(const NodeId& topic, std::optional<Ipv4Address> local_address,
                        OnResult on_result, OnDone on_done) {
  // hyperswarm's lookups carry an empty value unless they name a local address.
  PeersInput input;
  if (local_address) input.local_address = bytes_of(*local_address);
  QuerySpec spec{QuerySpec::Mode::Query, kPeers, topic, encode_peers_input(input)};
  return node_.query(std::move(spec), results_of(local_address, std::move(on_result)),
                     std::move(on_done));
}

std::function<void(const QueryReply&)> HyperDht::results_of(std::optional<Ipv4Address> local,
                                                            OnResult on_result) {
  return [local, on_result = std::move(on_result)](const QueryReply& reply) {
    if (!on_result || !reply.message.value) return;
    auto output = decode_peers_output(*reply.message.value);
    // A response without peers is no result (swarm.md §4.1).
    if (!output || (output->peers.empty() && output->local_peers.empty())) return;
    LookupResult result{reply.from, reply.id, reply.message.to_address(), output->peers, {},
                        reply.hops};
    if (local) {
      for (const LocalSuffix& suffix : output->local_peers) {
        result.local_peers.push_back(local_peer_address(*local, suffix));
      }
    }
    on_result(result);
  };
}

}  // namespace hypermount::swarm
