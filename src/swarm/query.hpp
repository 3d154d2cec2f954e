// One iterative query of dht-rpc (spec swarm.md §3.7): walks towards a target through the
// closest nodes, collects responses, then optionally sends UPDATEs to the closest verified
// nodes. Owned and driven by DhtNode; loop thread only.
#pragma once

#include "swarm/address.hpp"
#include "swarm/message.hpp"
#include "util/result.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hypermount::swarm {

class DhtNode;
struct Reply;

struct QuerySpec {
  enum class Mode {
    Query,           // QUERY `command` along the walk; every response is a result
    Update,          // walk with _find_node, then UPDATE `command` to the closest nodes
    QueryAndUpdate,  // QUERY `command` along the walk, then UPDATE it to the closest nodes
  };
  Mode mode = Mode::Query;
  std::string command;
  NodeId target{};
  std::optional<Bytes> value;
  size_t concurrency = 16;  // requests in flight at once (swarm.md §3.3)
};

// One response of the walk: who answered (its id if persistent) and what. `hops` counts the
// nodes on the chain that led to it: 1 for a node from our table or the bootstrap list, n+1 for
// a node named by a responder at n hops.
struct QueryReply {
  Ipv4Address from;
  std::optional<NodeId> id;
  const Message& message;
  size_t hops = 1;
};

class Query {
 public:
  Query(DhtNode& node, QuerySpec spec, std::function<void(const QueryReply&)> on_reply,
        std::function<void(Status)> on_done);
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Sends the first requests. If none could be sent, the query ends on the next tick.
  void start();
  // Ends a query that had nothing to send (called by the node's tick).
  void end_if_idle();
  bool done() const { return done_; }

 private:
  struct Candidate {
    std::optional<NodeId> id;  // unknown for bootstrap addresses
    Ipv4Address address;
    std::optional<Ipv4Address> referrer;  // the node that named it
    size_t hops = 1;                      // as QueryReply::hops
  };
  struct Verified {
    NodeId id;
    Ipv4Address address;
    Bytes token;
  };

  void add_candidate(const NodeId& id, const Ipv4Address& address,
                     std::optional<Ipv4Address> referrer, size_t hops);
  void visit(const Candidate& candidate);
  void on_walk_reply(Result<Reply> reply, size_t hops);
  void pump();
  void send_updates();
  void finish(Status status);

  DhtNode& node_;
  QuerySpec spec_;
  std::function<void(const QueryReply&)> on_reply_;
  std::function<void(Status)> on_done_;
  std::vector<Candidate> pending_;  // unqueried, closest first, at most 20
  std::vector<Verified> closest_;   // answered with id and token, closest first, at most 20
  std::set<Ipv4Address> queried_;
  size_t inflight_ = 0;
  size_t responses_ = 0;
  size_t updates_inflight_ = 0;
  size_t updates_acked_ = 0;
  bool updating_ = false;
  bool done_ = false;
};

}  // namespace hypermount::swarm
