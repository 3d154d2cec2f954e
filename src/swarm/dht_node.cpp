#include "swarm/dht_node.hpp"

#include "crypto/keys.hpp"
#include "swarm/payloads.hpp"
#include "swarm/query.hpp"
#include "util/log.hpp"

#include <algorithm>

namespace hypermount::swarm {

namespace {

constexpr const char* kPing = "_ping";
constexpr const char* kFindNode = "_find_node";
constexpr const char* kHolepunch = "_holepunch";
// Sends per request: the first and two retries (swarm.md §3.3).
constexpr int kTries = 3;
// A request is resent when its tick budget falls to this, and restarts at kTimeoutTicks.
constexpr int kTimeoutTicks = 4;
constexpr int kRetryAt = 2;
// Housekeeping periods in 5-s ticks (swarm.md §3.5, §3.6).
constexpr uint64_t kRotateSecretTicks = 60;  // 5 min
constexpr uint64_t kPingOldestTicks = 8;     // 40 s
constexpr uint64_t kRebootstrapTicks = 64;   // 320 s
constexpr size_t kPingOldestCount = 5;
constexpr size_t kSeenAsWindow = 10;
constexpr size_t kSeenAsQuorum = 3;
constexpr size_t kSecretSize = 32;

Bytes compact(const Ipv4Address& address) {
  Bytes out;
  put_peer(out, address);
  return out;
}

std::optional<NodeId> id_of(const std::optional<Bytes>& bytes) {
  if (!bytes || bytes->size() != kIdSize) return std::nullopt;
  NodeId id;
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

}  // namespace

DhtNode::DhtNode(DhtConfig config, DatagramSink& sink, RandomSource random)
    : ephemeral_(config.ephemeral),
      bootstrap_(std::move(config.bootstrap)),
      sink_(sink),
      random_(std::move(random)),
      table_(config.id.value_or(NodeId{})) {
  if (config.id) {
    id_ = *config.id;
  } else {
    random_(id_.data(), id_.size());
    table_ = RoutingTable(id_);
  }
  uint8_t rid[2];
  random_(rid, sizeof rid);
  next_rid_ = get_u16be(rid);
  for (Bytes& secret : secrets_) {
    secret.resize(kSecretSize);
    random_(secret.data(), secret.size());
  }
}

DhtNode::~DhtNode() = default;

uint64_t DhtNode::random_below(uint64_t bound) {
  uint8_t bytes[8];
  random_(bytes, sizeof bytes);
  return bound == 0 ? 0 : get_u64be(bytes) % bound;
}

Bytes DhtNode::token_for(const Ipv4Address& requester, size_t secret) const {
  crypto::Hash hash = crypto::blake2b_256({secrets_[secret], as_bytes(requester.host_text())});
  return Bytes(hash.begin(), hash.end());
}

bool DhtNode::valid_token(const Ipv4Address& from, const std::optional<Bytes>& token) const {
  return token && (*token == token_for(from, 0) || *token == token_for(from, 1));
}

void DhtNode::send(const Ipv4Address& to, const Message& message) {
  sink_.send(to, encode_message(message));
}

uint16_t DhtNode::free_rid() {
  while (pending_.contains(next_rid_)) ++next_rid_;
  return next_rid_++;
}

Status DhtNode::request(MessageType type, const RequestTarget& to, Message message,
                        ReplyCallback callback) {
  HM_TRY(start_request(type, to, std::move(message), std::move(callback)));
  return {};
}

Result<uint16_t> DhtNode::start_request(MessageType type, const RequestTarget& to, Message message,
                                        ReplyCallback callback) {
  if (pending_.size() >= kMaxPendingRequests) {
    return Error::unavailable("dht: {} requests pending", pending_.size());
  }
  uint16_t rid = free_rid();
  message.version = kDhtVersion;
  message.type = type;
  message.rid = rid;
  message.to = compact(to.address);
  if (!ephemeral_) message.id = Bytes(id_.begin(), id_.end());
  Pending pending{to, encode_message(message), kTimeoutTicks, 1, std::move(callback), std::nullopt};
  sink_.send(to.address, pending.datagram);
  pending_.emplace(rid, std::move(pending));
  return rid;
}

Status DhtNode::holepunch(const Ipv4Address& peer, const Ipv4Address& referrer, ReplyCallback callback) {
  Message probe;
  probe.command = kHolepunch;
  HM_TRY_ASSIGN(uint16_t rid,
                start_request(MessageType::Query, {peer, std::nullopt, std::nullopt}, std::move(probe), std::move(callback)));
  Pending& pending = pending_.at(rid);
  pending.to.referrer = referrer;
  pending.relay = encode_message(relay_request(rid, referrer, peer));
  sink_.send(referrer, *pending.relay);
  return {};
}

Message DhtNode::relay_request(uint16_t rid, const Ipv4Address& referrer, const Ipv4Address& to) const {
  Message punch;
  punch.version = kDhtVersion;
  punch.type = MessageType::Query;
  punch.rid = rid;
  punch.to = compact(referrer);
  if (!ephemeral_) punch.id = Bytes(id_.begin(), id_.end());
  punch.command = kHolepunch;
  punch.value = encode_holepunch({.from = std::nullopt, .to = compact(to)});
  return punch;
}

void DhtNode::punch_through(const Ipv4Address& referrer, const Ipv4Address& to) {
  // A fresh rid nobody waits for: the answer comes from `to` and is dropped, but by then the
  // NAT path for the retry is open.
  send(referrer, relay_request(free_rid(), referrer, to));
}

void DhtNode::tick() {
  std::vector<uint16_t> expired;
  std::vector<std::pair<Ipv4Address, Ipv4Address>> punches;  // (referrer, target)
  for (auto& [rid, p] : pending_) {
    bool first_tick = p.tries == 1 && p.timeout == kTimeoutTicks;
    if (p.timeout == kRetryAt && p.tries < kTries) {
      ++p.tries;
      p.timeout = kTimeoutTicks;
      sink_.send(p.to.address, p.datagram);
      if (p.relay) {
        sink_.send(*p.to.referrer, *p.relay);
      } else if (p.to.referrer) {
        punches.emplace_back(*p.to.referrer, p.to.address);
      }
      continue;
    }
    if (first_tick && p.relay) {
      sink_.send(*p.to.referrer, *p.relay);  // the fast punch (swarm.md §7 step 5)
    } else if (first_tick && p.to.referrer) {
      punches.emplace_back(*p.to.referrer, p.to.address);
    }
    if (--p.timeout == 0) expired.push_back(rid);
  }
  for (const auto& [referrer, target] : punches) punch_through(referrer, target);
  for (uint16_t rid : expired) {
    auto it = pending_.find(rid);
    if (it == pending_.end()) continue;
    Pending p = std::move(it->second);
    pending_.erase(it);
    p.callback(Error{Errc::Timeout, fmt::format("dht request to {} timed out", p.to.address.to_string())});
  }
  for (auto& query : queries_) query->end_if_idle();
  sweep_queries();
}

void DhtNode::housekeeping() {
  ++housekeeping_ticks_;
  if (housekeeping_ticks_ % kRotateSecretTicks == 0) {
    secrets_[1] = secrets_[0];
    random_(secrets_[0].data(), secrets_[0].size());
  }
  if (housekeeping_ticks_ % kPingOldestTicks == 0) {
    if (table_.size() == 0 && !bootstrap_.empty()) {
      if (!bootstrapping_) (void)bootstrap(nullptr);
    } else {
      for (const Contact& c : table_.oldest(kPingOldestCount)) ping_and_drop_if_silent(c);
    }
  }
  if (housekeeping_ticks_ % kRebootstrapTicks == 0 && table_.size() < kBucketSize &&
      !bootstrapping_) {
    (void)bootstrap(nullptr);
  }
}

void DhtNode::ping_and_drop_if_silent(const Contact& contact) {
  if (std::find(pinging_.begin(), pinging_.end(), contact.id) != pinging_.end()) return;
  Message ping;
  ping.command = kPing;
  ping.value = Bytes(contact.id.begin(), contact.id.end());
  NodeId id = contact.id;
  auto status = request(MessageType::Query, {contact.address, id, std::nullopt}, std::move(ping),
                        [this, id](Result<Reply> reply) {
                          std::erase(pinging_, id);
                          if (!reply) table_.remove(id);
                        });
  if (status) pinging_.push_back(id);
}

Status DhtNode::query(QuerySpec spec, std::function<void(const QueryReply&)> on_reply,
                      std::function<void(Status)> on_done) {
  if (queries_.size() >= kMaxQueries) {
    return Error::unavailable("dht: {} queries running", queries_.size());
  }
  queries_.push_back(std::make_unique<Query>(*this, std::move(spec), std::move(on_reply),
                                             std::move(on_done)));
  queries_.back()->start();
  return {};
}

Status DhtNode::bootstrap(std::function<void(Status)> on_done) {
  QuerySpec spec;
  spec.command = kFindNode;
  spec.target = id_;
  // A bootstrap walk beside other queries stays gentle (swarm.md §3.8).
  spec.concurrency = queries_.empty() ? 16 : 2;
  auto done = [this, on_done = std::move(on_done)](Status status) {
    bootstrapping_ = false;
    log::debug("swarm", "dht bootstrapped: {} contacts{}", table_.size(),
               status ? "" : ", " + status.error().to_string());
    if (on_done) on_done(std::move(status));
  };
  HM_TRY(query(std::move(spec), nullptr, std::move(done)));
  bootstrapping_ = true;
  return {};
}

void DhtNode::sweep_queries() {
  queries_.remove_if([](const std::unique_ptr<Query>& q) { return q->done(); });
}

void DhtNode::register_command(std::string name, CommandHandler handler) {
  commands_[std::move(name)] = std::move(handler);
}

std::optional<Ipv4Address> DhtNode::remote_address() const {
  if (auto exact = agreed_address(true)) return exact;
  return agreed_address(false);
}

std::optional<Ipv4Address> DhtNode::agreed_address(bool by_port) const {
  for (const auto& [responder, candidate] : seen_as_) {
    size_t agree = 0;
    for (const auto& [r, seen] : seen_as_) {
      if (seen.host == candidate.host && (!by_port || seen.port == candidate.port)) ++agree;
    }
    if (agree >= kSeenAsQuorum && seen_as_.size() - agree < kSeenAsQuorum) return candidate;
  }
  return std::nullopt;
}

void DhtNode::on_datagram(const Ipv4Address& from, ByteView datagram) {
  if (from.port == 0) return;
  auto message = decode_message(datagram);
  if (!message) {
    log::trace("swarm", "dht: dropped a datagram from {}: {}", from.to_string(),
               message.error().to_string());
    return;
  }
  if (auto id = message->sender_id(); id && *id != id_) add_contact(from, *id);
  if (auto seen = message->to_address()) note_seen_as(from, *seen);
  if (message->type == MessageType::Response) {
    on_response(from, std::move(*message));
  } else {
    on_request(from, *message);
  }
  sweep_queries();
}

void DhtNode::add_contact(const Ipv4Address& from, const NodeId& id) {
  Contact contact{id, from, housekeeping_ticks_};
  std::optional<Contact> oldest;
  if (table_.add(contact, &oldest) == RoutingTable::Added::BucketFull && oldest &&
      oldest->last_seen != housekeeping_ticks_) {
    ping_and_drop_if_silent(*oldest);
  }
}

void DhtNode::note_seen_as(const Ipv4Address& from, const Ipv4Address& seen) {
  std::erase_if(seen_as_, [&](const auto& entry) { return entry.first == from; });
  seen_as_.emplace_back(from, seen);
  if (seen_as_.size() > kSeenAsWindow) seen_as_.erase(seen_as_.begin());
}

void DhtNode::on_response(const Ipv4Address& from, Message message) {
  if (message.rid > UINT16_MAX) return;
  auto it = pending_.find(static_cast<uint16_t>(message.rid));
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  std::optional<NodeId> sender = message.sender_id();
  if (p.to.id && sender != p.to.id) table_.remove(*p.to.id);
  p.callback(Reply{from, std::move(message)});
}

Message DhtNode::reply_to(const Ipv4Address& from, const Message& request) const {
  Message reply;
  reply.version = kDhtVersion;
  reply.type = MessageType::Response;
  reply.rid = request.rid;
  reply.to = compact(from);
  if (!ephemeral_) reply.id = Bytes(id_.begin(), id_.end());
  return reply;
}

void DhtNode::reply_with_nodes(const Ipv4Address& from, const Message& request, Message reply) {
  std::vector<NodeEntry> nodes;
  if (auto target = id_of(request.target)) {
    for (const Contact& c : table_.closest(*target, kBucketSize)) nodes.push_back({c.id, c.address});
  }
  reply.closer_nodes.emplace();
  put_nodes(*reply.closer_nodes, nodes);
  if (!reply.error) reply.roundtrip_token = token_for(from);
  send(from, reply);
}

void DhtNode::relay_holepunch(const Ipv4Address& from, const Message& request) {
  auto punch = decode_holepunch(*request.value);
  if (!punch) return;
  if (punch->to) {
    // Forward to `to`, saying who asked (swarm.md §7 step 3).
    auto to = decode_peer(*punch->to);
    if (!to || *to == from) return;
    Message relayed = request;
    relayed.version = kDhtVersion;
    relayed.to = compact(*to);
    relayed.id = ephemeral_ ? std::nullopt : std::optional<Bytes>(Bytes(id_.begin(), id_.end()));
    relayed.value = encode_holepunch({.from = compact(from), .to = std::nullopt});
    send(*to, relayed);
    return;
  }
  // Answer `from` (or the sender) with the original rid: this opens our NAT towards it.
  std::optional<Ipv4Address> origin = punch->from ? decode_peer(*punch->from) : from;
  if (!origin) return;
  Message reply = reply_to(*origin, request);
  reply.roundtrip_token = token_for(*origin);
  send(*origin, reply);
}

void DhtNode::on_request(const Ipv4Address& from, const Message& request) {
  if (request.type == MessageType::Update && !valid_token(from, request.roundtrip_token)) return;
  const std::string& command = request.command.value_or(std::string());
  if (command == kPing) {
    if (request.value && *request.value != Bytes(id_.begin(), id_.end())) return;
    Message reply = reply_to(from, request);
    reply.roundtrip_token = token_for(from);
    reply.value = compact(from);
    send(from, reply);
    return;
  }
  if (command == kFindNode) {
    if (!id_of(request.target)) return;
    reply_with_nodes(from, request, reply_to(from, request));
    return;
  }
  if (command == kHolepunch) {
    // The direct probe carries no value and gets no answer (swarm.md §7 step 1).
    if (request.value) relay_holepunch(from, request);
    return;
  }
  if (!request.target) return;
  Message reply = reply_to(from, request);
  auto handler = commands_.find(command);
  if (handler == commands_.end()) {
    reply.error = "Unsupported command";
  } else {
    std::optional<CommandReply> answer = handler->second(IncomingRequest{from, request});
    if (!answer) return;
    reply.value = std::move(answer->value);
    reply.error = std::move(answer->error);
  }
  reply_with_nodes(from, request, std::move(reply));
}

}  // namespace hypermount::swarm
