#include "wire/channel_table.hpp"

namespace hypermount::wire {

Channel& ChannelTable::get_or_create(const crypto::DiscoveryKey& discovery_key) {
  auto [it, inserted] = channels_.try_emplace(discovery_key);
  if (inserted) it->second.discovery_key = discovery_key;
  return it->second;
}

Channel* ChannelTable::find(const crypto::DiscoveryKey& discovery_key) {
  auto it = channels_.find(discovery_key);
  return it == channels_.end() ? nullptr : &it->second;
}

Channel* ChannelTable::find_local(uint32_t local_id) {
  auto it = by_local_.find(local_id);
  return it == by_local_.end() ? nullptr : find(it->second);
}

Channel* ChannelTable::find_remote(uint32_t remote_id) {
  auto it = by_remote_.find(remote_id);
  return it == by_remote_.end() ? nullptr : find(it->second);
}

void ChannelTable::index_local(const Channel& channel) {
  if (channel.local_id) by_local_[*channel.local_id] = channel.discovery_key;
}

void ChannelTable::index_remote(const Channel& channel) {
  if (!channel.remote_id) return;
  // A remote id now naming another feed replaces the old mapping (the reference overwrites).
  auto old = by_remote_.find(*channel.remote_id);
  if (old != by_remote_.end() && old->second != channel.discovery_key) {
    if (Channel* previous = find(old->second)) previous->remote_id.reset();
  }
  by_remote_[*channel.remote_id] = channel.discovery_key;
}

void ChannelTable::erase(const crypto::DiscoveryKey& discovery_key) {
  auto it = channels_.find(discovery_key);
  if (it == channels_.end()) return;
  if (it->second.local_id) by_local_.erase(*it->second.local_id);
  if (it->second.remote_id) {
    auto remote = by_remote_.find(*it->second.remote_id);
    if (remote != by_remote_.end() && remote->second == discovery_key) by_remote_.erase(remote);
  }
  channels_.erase(it);
}

}  // namespace hypermount::wire
