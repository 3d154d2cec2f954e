// Deduplication of connections by the remote's Noise static key (swarm.md §8, hyperswarm 2's
// deduplicate): one connection per remote, the same one on both sides.
#include "wire/replicator.hpp"

#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"

#include <algorithm>

namespace hypermount::wire {

namespace {
// Of two connections between the same two peers, the one whose dialler has the smaller static
// key is kept; both sides compute the same answer. Both dialled by the same side (the remote
// found at two addresses): the older one stays.
bool prefer_new(bool new_dialled, bool old_dialled, const crypto::DhPublicKey& local,
                const crypto::DhPublicKey& remote) {
  if (new_dialled == old_dialled) return false;
  const bool local_smaller = std::lexicographical_compare(local.begin(), local.end(), remote.begin(), remote.end());
  return new_dialled == local_smaller;
}
}  // namespace

std::optional<std::variant<Replicator::PeerId, Replicator::Deduplicated>> Replicator::deduplicated(PeerId id) const {
  auto it = deduplicated_.find(id);
  if (it == deduplicated_.end()) return std::nullopt;
  return it->second;
}

bool Replicator::keep_after_handshake(Peer& peer, const crypto::DhPublicKey& remote_key) {
  peer.remote_key = remote_key;
  auto remember = [this](PeerId dropped, std::variant<PeerId, Deduplicated> fate) {
    ++stats_.duplicates_closed;
    deduplicated_[dropped] = fate;
    if (deduplicated_.size() > kMaxDeduplicated) deduplicated_.erase(deduplicated_.begin());
  };
  if (remote_key == static_key_.public_key) {
    remember(peer.id, Deduplicated::Self);
    peer.connection->close(Error(Errc::Cancelled, "connected to ourselves"));
    return false;
  }
  for (auto& [id, other] : peers_) {
    if (other.get() == &peer || other->closed || other->remote_key != remote_key) continue;
    Peer& dropped = prefer_new(peer.dialled, other->dialled, static_key_.public_key, remote_key) ? *other : peer;
    Peer& kept = &dropped == &peer ? *other : peer;
    log::debug("wire", "peer {}: a second connection to peer {}, closed", dropped.id, kept.id);
    remember(dropped.id, kept.id);
    dropped.connection->close(Error(Errc::Cancelled, "a second connection to the same peer"));
    return &dropped != &peer;
  }
  return true;
}

}  // namespace hypermount::wire
