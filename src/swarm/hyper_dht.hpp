// The HyperDHT `peers` command (@hyperswarm/dht 4.0.1, spec swarm.md §4.1-4.2) on a DhtNode:
// it stores and serves announcements, and announces, unannounces and looks up topics.
// Loop thread only.
#pragma once

#include "swarm/dht_node.hpp"
#include "swarm/peer_store.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace hypermount::swarm {

// What one responding node said about a topic.
struct LookupResult {
  Ipv4Address node;                    // the responder: the referrer of its peers
  std::optional<NodeId> node_id;       // when it is persistent
  std::optional<Ipv4Address> seen_as;  // our address as it saw us
  std::vector<Ipv4Address> peers;
  std::vector<Ipv4Address> local_peers;  // rebuilt with our own local address prefix
  size_t hops = 1;                       // the responder's QueryReply::hops
};

struct AnnounceOptions {
  uint16_t port = 0;  // 0: the records use our source port as the node sees it
  std::optional<Ipv4Address> local_address;  // a LAN address shared with same-prefix peers
};

// Records per response: 128 in all, of which at most 32 local (swarm.md §4.1).
constexpr size_t kMaxPeersPerReply = 128;
constexpr size_t kMaxLocalPeersPerReply = 32;

class HyperDht {
 public:
  // Registers the `peers` command on `node`, which must outlive this object.
  explicit HyperDht(DhtNode& node);
  HyperDht(const HyperDht&) = delete;
  HyperDht& operator=(const HyperDht&) = delete;

  // Every housekeeping tick (5 s): ages the records.
  void housekeeping();

  using OnResult = std::function<void(const LookupResult&)>;
  using OnDone = std::function<void(Status)>;
  // queryAndUpdate(peers): results are the peers already there; done when the UPDATEs end.
  Status announce(const NodeId& topic, const AnnounceOptions& options, OnResult on_result,
                  OnDone on_done);
  // update(peers, unannounce): removes our record from the closest nodes.
  Status unannounce(const NodeId& topic, const AnnounceOptions& options, OnDone on_done);
  // query(peers): every response that names peers is a result.
  Status lookup(const NodeId& topic, std::optional<Ipv4Address> local_address,
                OnResult on_result, OnDone on_done);

  const PeerStore& store() const { return store_; }

 private:
  std::optional<CommandReply> on_peers(const IncomingRequest& request);
  // Turns `peers` responses into results (local peers rebuilt on `local`'s prefix).
  static std::function<void(const struct QueryReply&)> results_of(
      std::optional<Ipv4Address> local, OnResult on_result);

  DhtNode& node_;
  PeerStore store_;
  uint64_t ticks_ = 0;
};

}  // namespace hypermount::swarm
