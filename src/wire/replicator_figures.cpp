// The figures of connected peers (`info`) and the warning about a core written from two stores.
#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"
#include "wire/replicator.hpp"

#include <fmt/format.h>

namespace hypermount::wire {

std::string peer_address(const Connection& connection) { return connection.stream().remote(); }

std::vector<PeerFigures> Replicator::peer_figures() const {
  std::vector<PeerFigures> out;
  for (const auto& [id, peer] : peers_) {
    if (peer->closed) continue;
    PeerFigures figures;
    figures.address = peer->address;
    figures.transport = peer->connection->stream().transport();
    figures.version = peer->version;
    figures.bytes_sent = peer->connection->bytes_sent();
    figures.bytes_received = peer->connection->bytes_received();
    figures.writes = peer->connection->writes();
    for (const auto& [dk, channel] : peer->channels) {
      if (channel.remote_ahead) figures.ahead.push_back(dk);
    }
    out.push_back(std::move(figures));
  }
  return out;
}

void Replicator::check_ahead(Peer& peer, Channel& channel) {
  const core::Core& core = *channel.core->core;
  if (channel.remote_ahead || !core.writable() || channel.remote.end() <= core.length()) return;
  channel.remote_ahead = true;
  log::warn("wire",
            "peer {} ({}) has {} blocks of {}, which is written here and has {}: it was written from "
            "another store too; a drive must be written from one store only (see hypermount keys)",
            peer.id, peer.address, channel.remote.end(), detail::short_key(core.discovery_key()), core.length());
}

}  // namespace hypermount::wire
