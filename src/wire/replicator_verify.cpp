// Blocks received from peers: large ones hashed on libuv's thread pool so that the loop goes
// on reading, decrypting and writing meanwhile; all verified and stored in arrival order.
#include "core/merkle.hpp"
#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"
#include "wire/replicator.hpp"

namespace hypermount::wire {

using namespace detail;

namespace {
// Smaller blocks (trie nodes, small files) are hashed on the loop: handing them to a thread
// would cost more than hashing them.
constexpr size_t kPoolHashBytes = 16 * 1024;
}  // namespace

bool Replicator::requested(const CoreState& state, uint64_t block) const {
  return state.inflight.count(block) != 0 || state.arriving.count(block) != 0;
}

void Replicator::receive_block(std::unique_ptr<ArrivedBlock> block) {
  CoreState& state = *block->core;
  state.arriving.insert(block->index);
  ArrivedBlock* arrived = block.release();
  state.arrived.push_back(arrived);
  if (arrived->value.size() < kPoolHashBytes) {
    arrived->leaf = core::leaf_node(arrived->index, arrived->value);
    store_arrived(state);
    return;
  }
  arrived->owner = this;
  arrived->in_pool = true;
  arrived->work.data = arrived;
  int queued = uv_queue_work(
      loop_, &arrived->work,
      [](uv_work_t* work) {
        auto* b = static_cast<ArrivedBlock*>(work->data);
        b->leaf = core::leaf_node(b->index, b->value);
      },
      &Replicator::on_block_hashed);
  if (queued != 0) {  // no thread pool: hash here
    arrived->in_pool = false;
    arrived->leaf = core::leaf_node(arrived->index, arrived->value);
    store_arrived(state);
  }
}

void Replicator::on_block_hashed(uv_work_t* work, int status) {
  auto* block = static_cast<ArrivedBlock*>(work->data);
  block->in_pool = false;
  Replicator* self = block->owner;
  if (self == nullptr) {
    delete block;
    return;
  }
  if (status != 0) block->leaf = core::leaf_node(block->index, block->value);
  CoreState& state = *block->core;
  self->store_arrived(state);
  self->pump_all();
  self->changed();
}

void Replicator::store_arrived(CoreState& state) {
  // in_pool first: `leaf` belongs to the pool thread until the after-work callback has run.
  while (!state.arrived.empty() && !state.arrived.front()->in_pool && state.arrived.front()->leaf) {
    std::unique_ptr<ArrivedBlock> block(state.arrived.front());
    state.arrived.pop_front();
    state.arriving.erase(block->index);
    store_block(*block);
  }
}

void Replicator::store_block(ArrivedBlock& block) {
  CoreState& state = *block.core;
  core::Core& core = *state.core;
  auto peer_it = peers_.find(block.peer);
  Peer* peer = peer_it == peers_.end() ? nullptr : peer_it->second.get();
  if (core.has(block.index)) return;
  if (block.discard) {  // from a dropped peer: a get of it asks again
    state.get_scan_from = std::min(state.get_scan_from, block.index);
    return;
  }
  auto stored = core.put_remote(block.index, ByteView(block.value), block.nodes, block.signature,
                                block.leaf);
  if (!stored && stored.error().code() == Errc::Io) {
    stop_storing(state, block.index, stored.error());
    return;
  }
  if (!stored) {
    ++stats_.data_rejected;
    state.get_scan_from = std::min(state.get_scan_from, block.index);
    Error error(stored.error().code(),
                fmt::format("block {} of {} failed verification: {}", block.index,
                            short_key(core.discovery_key()), stored.error().message()));
    if (peer != nullptr) {
      drop_peer(*peer, std::move(error));
    } else {
      log::warn("wire", "{}", error.to_string());
    }
    return;
  }
  ++stats_.blocks_downloaded;
  stats_.bytes_downloaded += block.value.size();
  log::trace("wire", "peer {}: block {} stored", block.peer, block.index);
  // Tell the other peers that asked for updates (wire.md §7.2).
  for (auto& [id, other] : peers_) {
    if (other.get() == peer) continue;
    auto ch = other->channels.find(core.discovery_key());
    if (ch == other->channels.end() || !ch->second.remote_want || !ch->second.local_id) continue;
    send(*other, *ch->second.local_id, Have{block.index, std::nullopt, std::nullopt, std::nullopt});
  }
  if (!state.unflushed_from) {
    if (unflushed_.empty()) post([this]() { flush_stored(); });
    state.unflushed_from = block.index;
    unflushed_.push_back(&state);
  }
  resolve_gets(state, block.index, std::move(block.value));  // the block's last use
  check_done(state);
}

void Replicator::flush_stored() {
  std::vector<CoreState*> cores;
  cores.swap(unflushed_);
  for (CoreState* state : cores) {
    const uint64_t first = *state->unflushed_from;
    state->unflushed_from.reset();
    auto flushed = state->core->flush_stored();
    if (!flushed) stop_storing(*state, first, flushed.error());
  }
}

void Replicator::stop_storing(CoreState& state, uint64_t index, const Error& cause) {
  Error error(cause.code(),
              fmt::format("cannot store block {} of {}: {}; its downloads stop until it is asked for again",
                          index, short_key(state.core->discovery_key()), cause.message()),
              cause.sys_errno());
  if (!state.store_failure) log::error("wire", "{}", error.to_string());
  state.store_failure = error;
  state.get_blocks.clear();
  std::vector<GetCallback> failed;
  for (auto it = gets_.begin(); it != gets_.end();) {
    if (it->second.core == &state) {
      failed.push_back(std::move(it->second.callback));
      it = gets_.erase(it);
    } else {
      ++it;
    }
  }
  for (GetCallback& callback : failed) callback(error);
  changed();
}

}  // namespace hypermount::wire
