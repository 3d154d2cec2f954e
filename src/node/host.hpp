// Serving: a replicator answers a peer for any core the store holds (as corestore does),
// including the cores of drives mounted in the one being served. Loop thread only.
#pragma once

#include "corestore/corestore.hpp"
#include "wire/replicator.hpp"

namespace hypermount::node {

// From now on, a channel a peer opens for a discovery key the replicator has not added is
// answered from `store` (which must outlive the replicator) when the store holds that core.
inline void serve_store(wire::Replicator& replicator, corestore::Corestore& store) {
  replicator.set_core_provider([&store](const crypto::DiscoveryKey& dk) -> core::Core* {
    auto core = store.get_by_discovery_key(dk);
    return core ? core->get() : nullptr;
  });
}

}  // namespace hypermount::node
