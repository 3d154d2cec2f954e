// Channel bookkeeping of one stream: local/remote ids per discovery key (wire.md §5.1, §5.4).
// Owned by one session; use from its thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/bytes.hpp"

#include <cstdint>
#include <map>
#include <optional>

namespace hypermount::wire {

// One feed's channel as this side knows it. A channel exists from the first Open (either
// side) until a Close from the remote, or until this side closes before the remote opened.
struct Channel {
  crypto::DiscoveryKey discovery_key{};
  std::optional<uint32_t> local_id;           // set when this side sent Open
  std::optional<uint32_t> remote_id;          // set when the remote's Open arrived
  std::optional<crypto::PublicKey> feed_key;  // known when this side opened
  std::optional<Bytes> remote_capability;     // from the remote's Open
};

class ChannelTable {
 public:
  // A fresh local id: 1, 2, 3, ... never reused within the stream (the reference allocates
  // a new one for every Open and every Close{discoveryKey} it sends).
  uint32_t allocate_local_id() { return next_local_id_++; }

  Channel& get_or_create(const crypto::DiscoveryKey& discovery_key);
  Channel* find(const crypto::DiscoveryKey& discovery_key);
  Channel* find_local(uint32_t local_id);
  Channel* find_remote(uint32_t remote_id);
  void erase(const crypto::DiscoveryKey& discovery_key);
  // Keep the id indexes in step after setting local_id / remote_id on a channel.
  void index_local(const Channel& channel);
  void index_remote(const Channel& channel);

  size_t size() const { return channels_.size(); }
  const std::map<crypto::DiscoveryKey, Channel>& channels() const { return channels_; }

 private:
  std::map<crypto::DiscoveryKey, Channel> channels_;
  std::map<uint32_t, crypto::DiscoveryKey> by_local_;
  std::map<uint32_t, crypto::DiscoveryKey> by_remote_;
  uint32_t next_local_id_ = 1;
};

}  // namespace hypermount::wire
