// A dht-rpc 4.9.6 node without I/O: requests with ids, retries and timeouts, round-trip tokens,
// the routing table, the built-in commands, and iterative queries (spec swarm.md §3). Datagrams
// leave through a DatagramSink and arrive through on_datagram; time passes only through tick()
// and housekeeping(), so tests drive it without sleeping. Loop thread only.
#pragma once

#include "swarm/address.hpp"
#include "swarm/message.hpp"
#include "swarm/routing_table.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::swarm {

class Query;
struct QuerySpec;
struct QueryReply;

// Where the node's datagrams go (a UDP socket, or a simulated network in tests).
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void send(const Ipv4Address& to, Bytes datagram) = 0;
};

// Fills a buffer with random bytes (libsodium in production, seeded in tests).
using RandomSource = std::function<void(uint8_t* out, size_t size)>;

struct DhtConfig {
  std::optional<NodeId> id;  // random when absent
  bool ephemeral = true;     // ephemeral nodes never send their id (swarm.md §3.4)
  std::vector<Ipv4Address> bootstrap;
};

// The timing of swarm.md §3.3 and §3.6, in calls of tick() (750 ms) and housekeeping() (5 s).
constexpr uint64_t kTickMillis = 750;
constexpr uint64_t kHousekeepingMillis = 5000;
// Requests outstanding at once; a request beyond it fails with Unavailable.
constexpr size_t kMaxPendingRequests = 4096;
// Iterative queries running at once; a query beyond it fails with Unavailable.
constexpr size_t kMaxQueries = 256;

// Where a request goes: the address, the id we expect to answer (a node that answers with
// another id leaves the routing table), and the node that named it to us, through which a
// hole punch opens the way if it does not answer (spec swarm.md §3.3).
struct RequestTarget {
  Ipv4Address address;
  std::optional<NodeId> id;
  std::optional<Ipv4Address> referrer;
};

// A response matched to a request.
struct Reply {
  Ipv4Address from;
  Message message;
};
using ReplyCallback = std::function<void(Result<Reply>)>;

// A request for a registered command, as the handler sees it.
struct IncomingRequest {
  Ipv4Address from;
  const Message& message;
};
// What a command handler answers: a value, or an error response (with an optional value).
struct CommandReply {
  std::optional<Bytes> value;
  std::optional<std::string> error;
};
// nullopt means "send no reply".
using CommandHandler = std::function<std::optional<CommandReply>(const IncomingRequest&)>;

class DhtNode {
 public:
  // `sink` must outlive the node. Destroying the node drops pending requests and queries
  // without calling their callbacks.
  DhtNode(DhtConfig config, DatagramSink& sink, RandomSource random);
  ~DhtNode();
  DhtNode(const DhtNode&) = delete;
  DhtNode& operator=(const DhtNode&) = delete;

  // One received datagram; a malformed one is dropped (logged at trace).
  void on_datagram(const Ipv4Address& from, ByteView datagram);
  // Every kTickMillis: retries and timeouts of requests.
  void tick();
  // Every kHousekeepingMillis: token secret rotation, pings of the oldest contacts, and
  // re-bootstrapping when the table is empty or small.
  void housekeeping();

  // Sends one request (QUERY or UPDATE) to `to`; `message` needs command and the fields of the
  // command; version, rid, type, to and id are filled in. The callback runs once, later, with
  // the response (error responses included) or Timeout. Unavailable if too many are pending.
  // With a referrer, a request still unanswered after a tick, and every retry, also sends the
  // referrer a `_holepunch` {to} (its answer is not awaited).
  Status request(MessageType type, const RequestTarget& to, Message message,
                 ReplyCallback callback);

  // Opens the way to `peer` through `referrer`, the node that named it (swarm.md §7, as the
  // dialler): a `_holepunch` probe straight to the peer and, with the same rid, a request to
  // the referrer to relay {to: peer}; both again on each retry, the relay also after a tick.
  // The callback runs with the peer's answer (the path is open: connect now) or Timeout.
  Status holepunch(const Ipv4Address& peer, const Ipv4Address& referrer, ReplyCallback callback);

  // Starts an iterative query (swarm.md §3.7). `on_reply` runs for every non-error response
  // of the walk; `on_done` runs once, later, when the query ends.
  Status query(QuerySpec spec, std::function<void(const QueryReply&)> on_reply,
               std::function<void(Status)> on_done);
  // Walks towards our own id (swarm.md §3.8); `on_done` runs when it ends. Also started by
  // housekeeping() when the table runs dry.
  Status bootstrap(std::function<void(Status)> on_done);

  void register_command(std::string name, CommandHandler handler);

  const NodeId& id() const { return id_; }
  const std::vector<Ipv4Address>& bootstrap_nodes() const { return bootstrap_; }
  RoutingTable& table() { return table_; }
  size_t pending_requests() const { return pending_.size(); }
  size_t running_queries() const { return queries_.size(); }
  // Our public address as the last 10 senders saw it, when at least 3 of the last 10 agree
  // and fewer than 3 disagree (swarm.md §3.10).
  std::optional<Ipv4Address> remote_address() const;
  // True when that quorum agrees on ip:port, not just the ip: our NAT (if any) maps
  // consistently, what hyperswarm's adaptive mode asks before turning persistent (§3.4).
  bool holepunchable() const { return agreed_address(true).has_value(); }
  // The write token a node gives `requester` (swarm.md §3.5).
  Bytes token_for(const Ipv4Address& requester, size_t secret = 0) const;
  uint64_t random_below(uint64_t bound);

 private:
  struct Pending {
    RequestTarget to;
    Bytes datagram;
    int timeout = 4;
    int tries = 1;
    ReplyCallback callback;
    // A hole punch: this relay request (same rid) goes to the referrer with every send.
    std::optional<Bytes> relay;
  };

  // request(), returning the rid it took.
  Result<uint16_t> start_request(MessageType type, const RequestTarget& to, Message message, ReplyCallback callback);
  void on_response(const Ipv4Address& from, Message message);
  void on_request(const Ipv4Address& from, const Message& message);
  void add_contact(const Ipv4Address& from, const NodeId& id);
  // Remembers how `from` sees us (the `to` of any message it sent), for remote_address().
  void note_seen_as(const Ipv4Address& from, const Ipv4Address& seen);
  // The address the quorum of remote_address() agrees on, by ip:port or by ip only.
  std::optional<Ipv4Address> agreed_address(bool by_port) const;
  void ping_and_drop_if_silent(const Contact& contact);
  Message reply_to(const Ipv4Address& from, const Message& request) const;
  void reply_with_nodes(const Ipv4Address& from, const Message& request, Message reply);
  void relay_holepunch(const Ipv4Address& from, const Message& request);
  bool valid_token(const Ipv4Address& from, const std::optional<Bytes>& token) const;
  void send(const Ipv4Address& to, const Message& message);
  void punch_through(const Ipv4Address& referrer, const Ipv4Address& to);
  // A `_holepunch` asking `referrer` to relay to `to`.
  Message relay_request(uint16_t rid, const Ipv4Address& referrer, const Ipv4Address& to) const;
  uint16_t free_rid();
  void sweep_queries();

  NodeId id_{};
  const bool ephemeral_;
  std::vector<Ipv4Address> bootstrap_;
  DatagramSink& sink_;
  RandomSource random_;
  RoutingTable table_;
  uint16_t next_rid_ = 0;
  std::map<uint16_t, Pending> pending_;
  std::map<std::string, CommandHandler> commands_;
  std::list<std::unique_ptr<Query>> queries_;
  std::array<Bytes, 2> secrets_;
  uint64_t housekeeping_ticks_ = 0;
  std::vector<NodeId> pinging_;  // contacts with a ping outstanding (bounded by the table)
  // (responder, our address as it saw us), most recent last, at most 10.
  std::vector<std::pair<Ipv4Address, Ipv4Address>> seen_as_;
  bool bootstrapping_ = false;
};

}  // namespace hypermount::swarm
