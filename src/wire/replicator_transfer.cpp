// The replicator's transfers: serving Requests with proofs, requesting blocks, verifying every
// Data through Core::put_remote, request timeouts (wire.md §7.3, hypercore.md §6.4, §7).
#include "wire/replicator.hpp"

#include "core/bitfield_rle.hpp"
#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"

#include <algorithm>

namespace hypermount::wire {

using namespace detail;

// ---- serving ------------------------------------------------------------------------------

void Replicator::serve_requests(Peer& peer) {
  bool progress = true;
  while (progress && !peer.closed && !peer.connection->queue_full()) {
    progress = false;
    for (auto& [key, channel] : peer.channels) {
      if (channel.requests.empty() || peer.connection->queue_full()) continue;
      Request request = channel.requests.front();
      channel.requests.pop_front();
      progress = true;
      const core::Core& core = *channel.core->core;
      uint64_t index = request.index;
      uint64_t digest = request.nodes.value_or(0);
      if (request.bytes.value_or(0) > 0) {
        auto seek = core.seek(*request.bytes);
        if (seek) {
          index = seek->block;
          digest = 0;
        }
      }
      bool hash_only = request.hash.value_or(false);
      if (index >= kMaxBlockIndex || (!hash_only && !core.has(index))) continue;
      auto proof = core.proof(index, digest, hash_only, channel.remote_nodes);
      if (!proof) {
        log::debug("wire", "peer {}: no proof for block {}: {}", peer.id, index,
                   proof.error().to_string());
        continue;
      }
      Data data;
      data.index = index;
      if (!hash_only) {
        auto value = core.get_unchecked(index);
        if (!value) {
          log::warn("wire", "cannot serve block {}: {}", index, value.error().to_string());
          continue;
        }
        data.value = std::move(*value);
      }
      for (const core::Node& node : proof->nodes) {
        data.nodes.push_back(DataNode{node.index, Bytes(node.hash.begin(), node.hash.end()),
                                      node.size});
      }
      if (proof->signature) data.signature = Bytes(proof->signature->begin(), proof->signature->end());
      stats_.bytes_uploaded += data.value ? data.value->size() : 0;
      send(peer, *channel.local_id, data);
      ++stats_.blocks_uploaded;
      if (peer.closed) return;
    }
  }
}

// ---- downloading --------------------------------------------------------------------------

void Replicator::on_data(Peer& peer, Channel& channel, Data& data) {
  CoreState& state = *channel.core;
  core::Core& core = *state.core;
  auto it = state.inflight.find(data.index);
  if (it == state.inflight.end() || it->second.peer != &peer) {
    // Not requested from this peer: dropped (wire.md §7.3).
    if (!core.has(data.index) && channel.remote_want && data.index < kMaxBlockIndex) {
      send(peer, *channel.local_id, Unhave{data.index, std::nullopt});
    }
    return;
  }
  peer.last_reply_ms = uv_now(loop_);
  const uint64_t rtt_ms = peer.last_reply_ms - it->second.sent_ms;
  peer.base_rtt_ms = std::min(peer.base_rtt_ms.value_or(rtt_ms), rtt_ms);
  if (it->second.for_get) {
    channel.window.count_reply(peer.last_reply_ms, rtt_ms);
  } else {
    channel.window.on_reply(peer.last_reply_ms, rtt_ms, channel.window_full);
  }
  state.inflight.erase(it);
  if (channel.inflight > 0) --channel.inflight;
  if (!data.value) {
    drop_peer(peer, Error::protocol("hash-only reply to a request for block {}", data.index));
    return;
  }
  std::vector<core::Node> nodes;
  for (const DataNode& node : data.nodes) {
    if (node.hash.size() != crypto::kHashSize) {
      drop_peer(peer, Error::protocol("proof node {} has a {}-byte hash", node.index,
                                      node.hash.size()));
      return;
    }
    core::Node converted;
    converted.index = node.index;
    std::copy(node.hash.begin(), node.hash.end(), converted.hash.begin());
    converted.size = node.size;
    nodes.push_back(converted);
  }
  std::optional<crypto::Signature> signature;
  if (data.signature) {
    if (data.signature->size() != crypto::kSignatureSize) {
      drop_peer(peer, Error::protocol("signature of {} bytes", data.signature->size()));
      return;
    }
    signature.emplace();
    std::copy(data.signature->begin(), data.signature->end(), signature->begin());
  }
  auto block = std::make_unique<ArrivedBlock>();
  block->core = &state;
  block->peer = peer.id;
  block->index = data.index;
  block->value = std::move(*data.value);
  block->nodes = std::move(nodes);
  block->signature = signature;
  receive_block(std::move(block));
}

void Replicator::resolve_gets(CoreState& state, uint64_t block, Bytes value) {
  auto waiting = state.get_blocks.find(block);
  if (waiting == state.get_blocks.end()) return;
  const std::vector<uint64_t> ids = std::move(waiting->second);
  state.get_blocks.erase(waiting);
  // Each found when its turn comes: an earlier callback may have cancelled it.
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto group = groups_.find(ids[i]); group != groups_.end()) {
      std::shared_ptr<GroupCallback> arrived = group->second.arrived;
      --group_blocks_;
      if (--group->second.remaining == 0) groups_.erase(group);
      (*arrived)(block, {});
      continue;
    }
    auto it = gets_.find(ids[i]);
    if (it == gets_.end()) continue;
    GetCallback callback = std::move(it->second.callback);
    gets_.erase(it);
    callback(i + 1 == ids.size() ? std::move(value) : value);
  }
}

uint64_t Replicator::known_length(const CoreState& state) const {
  uint64_t length = state.core->length();
  for (const auto& [id, peer] : peers_) {
    auto it = peer->channels.find(state.core->discovery_key());
    if (it != peer->channels.end()) length = std::max(length, it->second.remote.end());
  }
  return length;
}

size_t Replicator::in_flight_bound(const core::Core& core, size_t by_count) const {
  if (core.length() == 0) return by_count;
  const uint64_t mean_block = std::max<uint64_t>(1, core.byte_length() / core.length());
  return std::max<uint64_t>(by_count, options_.max_request_bytes_per_peer / mean_block);
}

size_t Replicator::requests_in_flight() const {
  size_t requests = 0;
  for (const auto& state : cores_) requests += state->inflight.size();
  return requests;
}

namespace {
// Gets in flight grow by ReplicatorOptions::max_get_requests_per_peer per this much of a peer's
// base round trip.
constexpr uint64_t kGetRttStepMs = 10;
}  // namespace

Replicator::RequestOutcome Replicator::request_block(CoreState& state, uint64_t block,
                                                     bool for_get) {
  const size_t max_get = for_get ? in_flight_bound(*state.core, options_.max_get_requests_per_peer) : 0;
  const size_t max_window = for_get ? 0 : in_flight_bound(*state.core, options_.max_request_window);
  // Gets beyond the floor only on a long path (what it holds in flight grows with its round
  // trip: 512 per 10 ms of it), or for a peer that delivers more per round trip (the channel's
  // RequestWindow::rate_limit); on a short one more would only queue at the peer.
  auto get_limit = [&](const Peer& peer, const Channel& channel) {
    const size_t floor = options_.max_get_requests_per_peer;
    const uint64_t by_rtt = floor * peer.base_rtt_ms.value_or(0) / kGetRttStepMs;
    return std::max<size_t>({floor, std::min<uint64_t>(max_get, by_rtt), channel.window.rate_limit()});
  };
  Peer* best = nullptr;
  Channel* best_channel = nullptr;
  bool busy = false;
  for (auto& [id, peer] : peers_) {
    if (peer->closed) continue;
    auto it = peer->channels.find(state.core->discovery_key());
    if (it == peer->channels.end()) continue;
    Channel& channel = it->second;
    if (!channel.started || !channel.remote_uploading || !channel.remote.contains(block)) continue;
    if (!for_get) channel.window.set_maximum(max_window);
    size_t limit = for_get ? get_limit(*peer, channel) : channel.window.size();
    if (channel.inflight >= limit || peer->connection->queue_full()) {
      if (!for_get && channel.inflight >= limit) channel.window_full = true;
      busy = true;
      continue;
    }
    if (best_channel == nullptr || channel.inflight < best_channel->inflight) {
      best = peer.get();
      best_channel = &channel;
    }
  }
  if (best == nullptr) return busy ? RequestOutcome::AllBusy : RequestOutcome::NobodyHasIt;
  Request request{block, uint64_t{0}, false, state.core->digest_for(block)};
  state.inflight[block] = Inflight{best, uv_now(loop_), for_get};
  ++best_channel->inflight;
  if (!for_get) best_channel->window_full = best_channel->inflight >= best_channel->window.size();
  send(*best, *best_channel->local_id, request);
  return RequestOutcome::Sent;
}

void Replicator::rescan_from(CoreState& state, uint64_t block) {
  state.get_scan_from = std::min(state.get_scan_from, block);
  for (Selection& selection : state.selections) selection.scan_from = std::min(selection.scan_from, block);
}

void Replicator::pump(CoreState& state) {
  if (state.store_failure) return;
  core::Core& core = *state.core;
  bool settled = true;  // every get block so far is here or requested
  for (auto it = state.get_blocks.lower_bound(state.get_scan_from); it != state.get_blocks.end(); ++it) {
    const uint64_t block = it->first;
    if (!core.has(block) && !requested(state, block)) {
      RequestOutcome outcome = request_block(state, block, true);
      // Every peer that has it is at its limit: the next Data or drain pumps again.
      if (outcome == RequestOutcome::AllBusy) break;
      settled = settled && outcome == RequestOutcome::Sent;
    }
    if (settled) state.get_scan_from = block + 1;
  }
  uint64_t length = known_length(state);
  for (Selection& selection : state.selections) {
    uint64_t end = std::min(selection.end.value_or(length), length);
    while (selection.next < end && core.has(selection.next)) ++selection.next;
    size_t misses = 0;
    bool settled_selection = true;  // every block so far is here or requested
    for (uint64_t block = std::max(selection.next, selection.scan_from); block < end; ++block) {
      if (!core.has(block) && !requested(state, block)) {
        RequestOutcome outcome = request_block(state, block, false);
        // Every peer that has it is at its limit: the next Data or drain pumps again.
        if (outcome == RequestOutcome::AllBusy) break;
        // Nobody has it (a sparse peer): look further, within a bound.
        if (outcome == RequestOutcome::NobodyHasIt) {
          settled_selection = false;
          if (++misses > 1024) break;
        }
      }
      if (settled_selection) selection.scan_from = block + 1;
    }
  }
  // A sync selects thousands of ranges over time: the finished ones cost nothing more.
  std::erase_if(state.selections, [](const Selection& s) { return s.end && s.next >= *s.end; });
}

void Replicator::pump_all() {
  if (in_pump_) return;
  in_pump_ = true;
  for (auto& state : cores_) pump(*state);
  in_pump_ = false;
}

void Replicator::pump_soon() {
  if (pump_posted_) return;
  pump_posted_ = true;
  post([this]() {
    pump_posted_ = false;
    pump_all();
  });
}

void Replicator::release_requests(Peer& peer, CoreState* only) {
  for (auto& state : cores_) {
    if (only != nullptr && state.get() != only) continue;
    for (auto it = state->inflight.begin(); it != state->inflight.end();) {
      it = it->second.peer == &peer ? state->inflight.erase(it) : std::next(it);
    }
    rescan_from(*state, 0);  // its requests are to be asked of someone else
    auto ch = peer.channels.find(state->core->discovery_key());
    if (ch != peer.channels.end()) ch->second.inflight = 0;
  }
}

void Replicator::send(Peer& peer, uint32_t local_id, const Message& message) {
  if (peer.closed) return;
  auto sent = peer.connection->session().send(local_id, message);
  if (!sent) {
    drop_peer(peer, sent.error());
    return;
  }
  // Requests leave together on the loop's next turn (a fetch of 100,000 blocks is one write, not
  // 100,000); everything else in this turn: replies held for a turn made a clone through a 100 ms
  // path take twice as long. The replies to what one read brought leave together, a write per
  // kReplyWriteBytes, not one each. Callers check queue_full() before sending more.
  if (std::holds_alternative<Request>(message)) {
    peer.connection->flush_soon();
  } else if (!peer.handling_events || peer.connection->session().output_size() >= kReplyWriteBytes) {
    (void)peer.connection->flush();
  }
}

void Replicator::drop_peer(Peer& peer, Error reason) {
  if (peer.closed) return;
  ++stats_.peers_dropped;
  peer.dropped = true;
  // What it sent and is still being hashed is not stored either (nor counted as rejected).
  for (auto& state : cores_) {
    for (ArrivedBlock* block : state->arrived) block->discard |= block->peer == peer.id;
  }
  log::warn("wire", "dropping peer {}: {}", peer.id, reason.to_string());
  peer.connection->close(std::move(reason));
}

// ---- loop plumbing ------------------------------------------------------------------------

void Replicator::post(std::function<void()> task) {
  posted_.push_back(std::move(task));
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&post_timer_->timer)) == 0) {
    uv_timer_start(&post_timer_->timer, &Replicator::on_post_timer, 0, 0);
  }
}

void Replicator::on_post_timer(uv_timer_t* timer) {
  auto* box = static_cast<TimerBox*>(timer->data);
  if (box->owner != nullptr) box->owner->run_posted();
}

void Replicator::run_posted() {
  std::deque<std::function<void()>> tasks;
  tasks.swap(posted_);
  for (auto& task : tasks) task();
}

void Replicator::on_tick_timer(uv_timer_t* timer) {
  auto* box = static_cast<TimerBox*>(timer->data);
  if (box->owner != nullptr) box->owner->check_timeouts();
}

void Replicator::check_timeouts() {
  uint64_t now = uv_now(loop_);
  std::vector<std::pair<Peer*, uint64_t>> late;
  for (auto& state : cores_) {
    for (const auto& [block, inflight] : state->inflight) {
      // A peer that keeps answering is not late: what it was asked for waits in its queue.
      const uint64_t since = std::max(inflight.sent_ms, inflight.peer->last_reply_ms);
      if (now - since >= options_.request_timeout_ms) late.emplace_back(inflight.peer, block);
    }
  }
  for (auto [peer, block] : late) {
    drop_peer(*peer, Error(Errc::Timeout, fmt::format("request timeout (block {})", block)));
  }
}

void Replicator::changed() {
  if (on_change_) on_change_();
}

}  // namespace hypermount::wire
