#include "swarm/query.hpp"

#include "swarm/dht_node.hpp"
#include "util/log.hpp"

#include <algorithm>

namespace hypermount::swarm {

namespace {

// Candidates and verified nodes kept per query (swarm.md §3.7).
constexpr size_t kQueryWidth = 20;
constexpr const char* kFindNode = "_find_node";
// Nodes one walk asks at most: hostile nodes naming ever closer made-up nodes cannot keep a
// walk going forever.
constexpr size_t kMaxVisits = 1024;

}  // namespace

Query::Query(DhtNode& node, QuerySpec spec, std::function<void(const QueryReply&)> on_reply,
             std::function<void(Status)> on_done)
    : node_(node), spec_(std::move(spec)), on_reply_(std::move(on_reply)),
      on_done_(std::move(on_done)) {}

void Query::start() {
  for (const Contact& contact : node_.table().closest(spec_.target, kQueryWidth)) {
    add_candidate(contact.id, contact.address, std::nullopt, 1);
  }
  // A small table: ask the bootstrap nodes too, without marking them queried.
  if (node_.table().size() < node_.bootstrap_nodes().size()) {
    for (const Ipv4Address& address : node_.bootstrap_nodes()) visit({std::nullopt, address, std::nullopt});
  }
  pump();
}

void Query::end_if_idle() {
  if (!done_ && inflight_ == 0 && updates_inflight_ == 0 && pending_.empty()) {
    finish(Error::unavailable("dht query {}: no nodes responded", spec_.command));
  }
}

void Query::add_candidate(const NodeId& id, const Ipv4Address& address,
                          std::optional<Ipv4Address> referrer, size_t hops) {
  if (id == node_.id() || queried_.contains(address)) return;
  auto same = [&](const Candidate& c) { return c.address == address; };
  if (std::any_of(pending_.begin(), pending_.end(), same)) return;
  auto at = std::find_if(pending_.begin(), pending_.end(), [&](const Candidate& c) {
    return closer(spec_.target, id, *c.id);
  });
  if (at == pending_.end() && pending_.size() >= kQueryWidth) return;
  pending_.insert(at, {id, address, referrer, hops});
  if (pending_.size() > kQueryWidth) pending_.pop_back();
}

void Query::visit(const Candidate& candidate) {
  Message message;
  bool walk_only = spec_.mode == QuerySpec::Mode::Update;
  message.command = walk_only ? kFindNode : spec_.command;
  message.target = Bytes(spec_.target.begin(), spec_.target.end());
  if (!walk_only) message.value = spec_.value;
  auto status = node_.request(MessageType::Query,
                              {candidate.address, candidate.id, candidate.referrer},
                              std::move(message),
                              [this, hops = candidate.hops](Result<Reply> reply) {
                                on_walk_reply(std::move(reply), hops);
                              });
  if (!status) {
    log::debug("swarm", "dht query {}: {}", spec_.command, status.error().to_string());
    return;
  }
  ++inflight_;
}

void Query::on_walk_reply(Result<Reply> reply, size_t hops) {
  --inflight_;
  if (reply) {
    ++responses_;
    const Message& m = reply->message;
    std::optional<NodeId> id = m.sender_id();
    if (m.closer_nodes) {
      for (const NodeEntry& entry : decode_nodes(*m.closer_nodes).value_or(std::vector<NodeEntry>{})) {
        add_candidate(entry.id, entry.address, reply->from, hops + 1);
      }
    }
    if (id && m.roundtrip_token && !std::any_of(closest_.begin(), closest_.end(),
                                                [&](const Verified& v) { return v.id == *id; })) {
      auto at = std::find_if(closest_.begin(), closest_.end(), [&](const Verified& v) {
        return closer(spec_.target, *id, v.id);
      });
      closest_.insert(at, {*id, reply->from, *m.roundtrip_token});
      if (closest_.size() > kQueryWidth) closest_.pop_back();
    }
    if (!m.error && on_reply_ && spec_.mode != QuerySpec::Mode::Update) {
      on_reply_(QueryReply{reply->from, id, m, hops});
    }
  }
  pump();
}

void Query::pump() {
  if (done_ || updating_) return;
  if (queried_.size() >= kMaxVisits) pending_.clear();
  while (inflight_ < spec_.concurrency && !pending_.empty()) {
    Candidate next = pending_.front();
    pending_.erase(pending_.begin());
    queried_.insert(next.address);
    visit(next);
  }
  if (inflight_ > 0 || !pending_.empty()) return;
  // Nobody answered: the node's next tick ends the query (never inside start()).
  if (responses_ == 0) return;
  if (spec_.mode == QuerySpec::Mode::Query) {
    finish({});
    return;
  }
  send_updates();
}

void Query::send_updates() {
  updating_ = true;
  for (const Verified& v : closest_) {
    Message message;
    message.command = spec_.command;
    message.target = Bytes(spec_.target.begin(), spec_.target.end());
    message.roundtrip_token = v.token;
    message.value = spec_.value;
    auto status = node_.request(MessageType::Update, {v.address, v.id, std::nullopt},
                                std::move(message),
                                [this](Result<Reply> reply) {
                                  --updates_inflight_;
                                  if (reply && !reply->message.error) ++updates_acked_;
                                  if (updates_inflight_ == 0) {
                                    finish(updates_acked_ > 0
                                               ? Status{}
                                               : Error::unavailable("dht {}: no close nodes "
                                                                    "responded", spec_.command));
                                  }
                                });
    if (status) ++updates_inflight_;
  }
  if (updates_inflight_ == 0) {
    finish(Error::unavailable("dht {}: no close nodes responded", spec_.command));
  }
}

void Query::finish(Status status) {
  if (done_) return;
  done_ = true;
  if (on_done_) on_done_(std::move(status));
}

}  // namespace hypermount::swarm
