// Blocks received from peers: large ones hashed, then written, on libuv's thread pool so that
// the loop goes on reading and decrypting meanwhile; all verified in arrival order.
#include "core/merkle.hpp"
#include "core/storage.hpp"
#include "store/file.hpp"
#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"
#include "wire/replicator.hpp"

#include <unistd.h>

#include <algorithm>

namespace hypermount::wire {

using namespace detail;

namespace {
// Smaller blocks (trie nodes, small files) are hashed on the loop: handing them to a thread
// would cost more than hashing them.
constexpr size_t kPoolHashBytes = 16 * 1024;
}  // namespace

bool Replicator::requested(const CoreState& state, uint64_t block) const {
  return state.inflight.count(block) != 0 || state.arriving.count(block) != 0 || state.writing.count(block) != 0;
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
    store_block(std::move(block));
  }
}

void Replicator::store_block(std::unique_ptr<ArrivedBlock> block) {
  CoreState& state = *block->core;
  core::Core& core = *state.core;
  if (core.has(block->index) || state.writing.count(block->index) != 0) return;
  if (block->discard) {  // from a dropped peer: a get of it asks again
    rescan_from(state, block->index);
    return;
  }
  // Large blocks are verified here and written on the pool; the rest stored here at once.
  const bool large = block->value.size() >= kPoolHashBytes && !core::is_hole(block->value);
  Status outcome;
  if (large) {
    auto accepted = core.accept_remote(block->index, ByteView(block->value), block->nodes, block->signature,
                                       block->leaf);
    if (!accepted) {
      outcome = accepted.error();
    } else if (write_in_pool(block, **accepted)) {
      return;
    } else {
      outcome = core.write_accepted(block->index, **accepted, ByteView(block->value));
    }
  } else {
    outcome = core.put_remote(block->index, ByteView(block->value), block->nodes, block->signature, block->leaf);
  }
  if (!outcome && outcome.error().code() == Errc::Io) {
    stop_storing(state, block->index, outcome.error());
    return;
  }
  if (!outcome) {
    ++stats_.data_rejected;
    rescan_from(state, block->index);
    Error error(outcome.error().code(),
                fmt::format("block {} of {} failed verification: {}", block->index,
                            short_key(core.discovery_key()), outcome.error().message()));
    auto peer_it = peers_.find(block->peer);
    if (peer_it != peers_.end()) {
      drop_peer(*peer_it->second, std::move(error));
    } else {
      log::warn("wire", "{}", error.to_string());
    }
    return;
  }
  stored(*block);
}

bool Replicator::write_in_pool(std::unique_ptr<ArrivedBlock>& block, uint64_t offset) {
  CoreState& state = *block->core;
  auto fd = state.core->data_write_fd();
  if (!fd) return false;  // written here instead, where the failure is reported
  block->offset = offset;
  block->fd = *fd;
  block->owner = this;
  block->in_pool = true;
  block->work.data = block.get();
  int queued = uv_queue_work(
      loop_, &block->work,
      [](uv_work_t* work) {
        auto* b = static_cast<ArrivedBlock*>(work->data);
        b->write_errno = store::write_at(b->fd, b->offset, b->value);
        ::close(b->fd);
      },
      &Replicator::on_block_written);
  if (queued != 0) {  // no thread pool: written here
    ::close(block->fd);
    block->in_pool = false;
    return false;
  }
  const uint64_t index = block->index;
  state.writing.emplace(index, block.release());
  return true;
}

void Replicator::on_block_written(uv_work_t* work, int) {
  std::unique_ptr<ArrivedBlock> block(static_cast<ArrivedBlock*>(work->data));
  block->in_pool = false;
  Replicator* self = block->owner;
  if (self == nullptr) return;  // the replicator is gone: the block stays absent
  CoreState& state = *block->core;
  state.writing.erase(block->index);
  if (block->write_errno != 0) {
    self->stop_storing(state, block->index,
                       Error::io(block->write_errno, "writing block {} at byte {} of the data file", block->index,
                                 block->offset));
  } else {
    state.core->data_written(block->index, block->offset, block->value.size());
    self->stored(*block);
  }
  self->pump_all();
  self->changed();
}

void Replicator::stored(ArrivedBlock& block) {
  CoreState& state = *block.core;
  core::Core& core = *state.core;
  auto peer_it = peers_.find(block.peer);
  Peer* peer = peer_it == peers_.end() ? nullptr : peer_it->second.get();
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
  std::vector<std::pair<uint64_t, std::shared_ptr<GroupCallback>>> failed_groups;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.core == &state) {
      const auto& blocks = it->second.blocks;
      auto missing = std::find_if(blocks.begin(), blocks.end(), [&](uint64_t b) { return !state.core->has(b); });
      failed_groups.emplace_back(missing == blocks.end() ? index : *missing, it->second.arrived);
      group_blocks_ -= it->second.remaining;
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  for (GetCallback& callback : failed) callback(error);
  for (auto& [block, arrived] : failed_groups) (*arrived)(block, error);
  changed();
}

}  // namespace hypermount::wire
