// The replicator: channels, Want/Have and connection events (wire.md §5, §7.1-§7.2, §7.5);
// requests and data are in replicator_transfer.cpp.
#include "wire/replicator.hpp"

#include "core/bitfield_rle.hpp"
#include "util/log.hpp"
#include "wire/detail/replicator_state.hpp"

#include <algorithm>

namespace hypermount::wire {

using namespace detail;

// ---- setup --------------------------------------------------------------------------------

Replicator::Replicator(uv_loop_t* loop, ReplicatorOptions options)
    : loop_(loop), options_(std::move(options)), static_key_(crypto::random_dh_key_pair()) {
  post_timer_ = new TimerBox();
  uv_timer_init(loop_, &post_timer_->timer);
  post_timer_->timer.data = post_timer_;
  post_timer_->owner = this;
  tick_timer_ = new TimerBox();
  uv_timer_init(loop_, &tick_timer_->timer);
  tick_timer_->timer.data = tick_timer_;
  tick_timer_->owner = this;
  uint64_t interval = std::max<uint64_t>(10, options_.request_timeout_ms / 4);
  uv_timer_start(&tick_timer_->timer, &Replicator::on_tick_timer, interval, interval);
  uv_unref(reinterpret_cast<uv_handle_t*>(&tick_timer_->timer));
}

Replicator::~Replicator() {
  for (TimerBox* box : {post_timer_, tick_timer_}) {
    box->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&box->timer),
             [](uv_handle_t* h) { delete static_cast<TimerBox*>(h->data); });
  }
  // A block still being hashed is freed by its after-work callback, any other here.
  for (auto& state : cores_) {
    if (state->options.live && state->options.upload) state->core->set_append_observer(nullptr);
    for (ArrivedBlock* block : state->arrived) {
      if (block->in_pool) {
        block->owner = nullptr;
      } else {
        delete block;
      }
    }
    for (auto& [index, block] : state->writing) block->owner = nullptr;
  }
  // Connection destructors close their handles without calling back.
  peers_.clear();
  retired_.clear();
}

bool Replicator::has_peer(PeerId id) const {
  auto it = peers_.find(id);
  return it != peers_.end() && !it->second->closed;
}

Status Replicator::add_core(core::Core& core, CoreOptions options) {
  if (find_core(core.discovery_key()) != nullptr) {
    return Error::exists("core {} is already replicated", short_key(core.discovery_key()));
  }
  auto state = std::make_unique<CoreState>();
  state->core = &core;
  state->options = options;
  state->default_downloading = !core.writable();
  CoreState& added = *state;
  cores_.push_back(std::move(state));
  if (options.live && options.upload) {
    core.set_append_observer([this, &core](uint64_t old_length) { announce_appended(core, old_length); });
  }
  for (auto& [id, peer] : peers_) {
    open_channel(*peer, added);
    auto flushed = peer->connection->flush();
    (void)flushed;
  }
  return {};
}

ConnectionOptions Replicator::connection_options(crypto::NoiseRole role,
                                                 ProtocolVersion version) const {
  ConnectionOptions connection_options = options_.connection;
  connection_options.session.role = role;
  connection_options.session.version = version;
  if (version != ProtocolVersion::Auto) connection_options.session.responder_version = version;
  connection_options.session.static_key = static_key_;
  return connection_options;
}

Result<Replicator::PeerId> Replicator::add_stream(StreamHandle stream, crypto::NoiseRole role,
                                                  ProtocolVersion version) {
  return add_connection(std::make_unique<Connection>(loop_, std::move(stream),
                                                     connection_options(role, version), *this),
                        role, version);
}

Result<Replicator::PeerId> Replicator::add_stream(StreamHandle read_stream,
                                                  StreamHandle write_stream,
                                                  crypto::NoiseRole role,
                                                  ProtocolVersion version) {
  return add_connection(
      std::make_unique<Connection>(loop_, std::move(read_stream), std::move(write_stream),
                                   connection_options(role, version), *this),
      role, version);
}

Result<Replicator::PeerId> Replicator::add_stream(std::unique_ptr<ByteStream> stream,
                                                  crypto::NoiseRole role, ProtocolVersion version) {
  return add_connection(std::make_unique<Connection>(loop_, std::move(stream),
                                                     connection_options(role, version), *this),
                        role, version);
}

Result<Replicator::PeerId> Replicator::add_connection(std::unique_ptr<Connection> connection,
                                                      crypto::NoiseRole role,
                                                      ProtocolVersion version) {
  auto peer = std::make_unique<Peer>();
  peer->id = next_peer_id_++;
  peer->connection = std::move(connection);
  peer->dialled = role == crypto::NoiseRole::Initiator;
  peer->address = peer_address(*peer->connection);
  Peer& added = *peer;
  peers_.emplace(added.id, std::move(peer));
  // Opens are queued by the session until the handshake is done.
  for (auto& core : cores_) open_channel(added, *core);
  auto started = added.connection->start();
  if (!started) {
    Error error = started.error();
    peers_.erase(added.id);
    return error;
  }
  log::debug("wire", "peer {} added ({}, {})", added.id,
             role == crypto::NoiseRole::Initiator ? "initiator" : "responder",
             protocol_version_name(version));
  changed();
  return added.id;
}

Replicator::CoreState* Replicator::find_core(const core::Core& core) const {
  for (const auto& state : cores_) {
    if (state->core == &core) return state.get();
  }
  return nullptr;
}

Replicator::CoreState* Replicator::find_core(const crypto::DiscoveryKey& discovery_key) const {
  for (const auto& state : cores_) {
    if (state->core->discovery_key() == discovery_key) return state.get();
  }
  return nullptr;
}

Replicator::Peer* Replicator::find_peer(const Connection& connection) const {
  for (const auto& [id, peer] : peers_) {
    if (peer->connection.get() == &connection) return peer.get();
  }
  return nullptr;
}

// ---- public download API ------------------------------------------------------------------

Result<uint64_t> Replicator::get(core::Core& core, uint64_t block, GetCallback callback) {
  CoreState* state = find_core(core);
  if (state == nullptr) return Error::not_found("get: core is not replicated");
  uint64_t id = next_get_id_++;
  asked_again(*state);
  if (core.has(block)) {
    post([&core, block, cb = std::move(callback)]() { cb(core.get(block)); });
    return id;
  }
  // Ids only grow, and a batch asks for its blocks in order: at the end is the usual place.
  gets_.emplace_hint(gets_.end(), id, PendingGet{state, block, std::move(callback)});
  state->get_blocks.try_emplace(state->get_blocks.end(), block)->second.push_back(id);
  state->get_scan_from = std::min(state->get_scan_from, block);
  want_regions(*state, block, block + 1);
  pump_soon();
  return id;
}

Result<Replicator::GroupGet> Replicator::get_group(core::Core& core, const std::vector<uint64_t>& blocks,
                                                   GroupCallback arrived) {
  CoreState* state = find_core(core);
  if (state == nullptr) return Error::not_found("get: core is not replicated");
  const uint64_t id = next_get_id_++;
  asked_again(*state);
  PendingGroup group{state, {}, 0, std::make_shared<GroupCallback>(std::move(arrived))};
  std::optional<uint64_t> last_region;
  for (uint64_t block : blocks) {
    if (core.has(block)) continue;
    group.blocks.push_back(block);
    state->get_blocks.try_emplace(state->get_blocks.end(), block)->second.push_back(id);
    state->get_scan_from = std::min(state->get_scan_from, block);
    if (last_region != block / kWantRegion) {
      last_region = block / kWantRegion;
      want_regions(*state, block, block + 1);
    }
  }
  const size_t waiting = group.blocks.size();
  if (waiting > 0) {
    group.remaining = waiting;
    group_blocks_ += waiting;
    groups_.emplace_hint(groups_.end(), id, std::move(group));
    pump_soon();
  }
  return GroupGet{id, waiting};
}

void Replicator::asked_again(CoreState& state) {
  if (!state.store_failure) return;
  state.store_failure.reset();  // perhaps there is room now
  rescan_from(state, 0);  // what was dropped meanwhile is to be asked for again
}

void Replicator::follow_head(CoreState& state) {
  uint64_t head = known_length(state);
  core::Core& core = *state.core;
  if (head <= core.length() || core.has(head - 1) || state.get_blocks.count(head - 1) != 0) return;
  auto id = get(core, head - 1, [](Result<Bytes>) {});
  (void)id;
}

void Replicator::cancel_get(uint64_t get_id) {
  if (auto group = groups_.find(get_id); group != groups_.end()) {
    for (uint64_t block : group->second.blocks) forget_get(*group->second.core, block, get_id);
    group_blocks_ -= group->second.remaining;
    groups_.erase(group);
    return;
  }
  auto it = gets_.find(get_id);
  if (it == gets_.end()) return;
  PendingGet get = std::move(it->second);
  gets_.erase(it);
  forget_get(*get.core, get.block, get_id);
  post([cb = std::move(get.callback)]() { cb(Error(Errc::Cancelled, "get cancelled")); });
}

void Replicator::forget_get(CoreState& state, uint64_t block, uint64_t get_id) {
  auto waiting = state.get_blocks.find(block);
  if (waiting == state.get_blocks.end()) return;
  std::erase(waiting->second, get_id);
  if (waiting->second.empty()) state.get_blocks.erase(waiting);
}

Status Replicator::download(core::Core& core, uint64_t start, std::optional<uint64_t> end) {
  CoreState* state = find_core(core);
  if (state == nullptr) return Error::not_found("download: core is not replicated");
  if (end && *end < start) return Error::invalid("download range {}-{} is empty", start, *end);
  state->selections.push_back(Selection{start, end, start});
  state->selected = true;
  want_regions(*state, start, end.value_or(start + 1));
  pump_soon();
  return {};
}

std::optional<Error> Replicator::store_failure(const core::Core& core) const {
  CoreState* state = find_core(core);
  return state == nullptr ? std::nullopt : state->store_failure;
}

bool Replicator::done(const core::Core& core) const {
  CoreState* state = find_core(core);
  if (state == nullptr) return false;
  if (!state->get_blocks.empty()) return false;
  uint64_t length = known_length(*state);
  for (Selection& selection : state->selections) {
    if (!selection.end && !state->heard_have) return false;
    uint64_t end = selection.end.value_or(length);
    while (selection.next < end && core.has(selection.next)) ++selection.next;
    if (selection.next < end) return false;
  }
  return true;
}

void Replicator::announce_appended(core::Core& core, uint64_t old_length) {
  CoreState* state = find_core(core);
  if (state == nullptr || core.length() <= old_length) return;
  uint64_t added = core.length() - old_length;
  for (auto& [id, peer] : peers_) {
    auto it = peer->channels.find(core.discovery_key());
    if (it == peer->channels.end() || !it->second.remote_want || !it->second.local_id) continue;
    Have have{old_length, std::nullopt, std::nullopt, std::nullopt};
    if (added > 1) have.length = added;
    send(*peer, *it->second.local_id, have);
  }
}

void Replicator::close_all() {
  std::vector<Peer*> all;
  for (auto& [id, peer] : peers_) all.push_back(peer.get());
  for (Peer* peer : all) peer->connection->close(Error(Errc::Cancelled, "replicator closed"));
}

// ---- connection events --------------------------------------------------------------------

void Replicator::on_session_events(Connection& connection) {
  Peer* peer = find_peer(connection);
  if (peer == nullptr) return;
  peer->handling_events = true;
  handle_events(peer, connection);
  if (peer->closed) return;
  peer->handling_events = false;
  auto flushed = connection.flush();
  (void)flushed;
  pump_all();
  changed();
}

void Replicator::handle_events(Peer* peer, Connection& connection) {
  for (SessionEvent& event : connection.session().take_events()) {
    if (peer->closed) return;
    if (auto* done_event = std::get_if<HandshakeCompleted>(&event)) {
      log::debug("wire", "peer {}: handshake done ({})", peer->id,
                 protocol_version_name(done_event->version));
      peer->version = done_event->version;
      if (!keep_after_handshake(*peer, done_event->remote_static_key)) return;
    } else if (auto* opened = std::get_if<RemoteOpened>(&event)) {
      CoreState* state = find_core(opened->discovery_key);
      if (state == nullptr && core_provider_) {
        core::Core* provided = core_provider_(opened->discovery_key);
        if (provided != nullptr && add_core(*provided, {.upload = true, .live = true})) {
          state = find_core(opened->discovery_key);
        }
      }
      if (state == nullptr) {
        log::debug("wire", "peer {}: refusing unknown feed {}", peer->id,
                   short_key(opened->discovery_key));
        auto refused = connection.session().close_discovery_key(opened->discovery_key);
        (void)refused;
        continue;
      }
      Channel& channel = peer->channels[opened->discovery_key];
      channel.core = state;
      channel.discovery_key = opened->discovery_key;
      channel.remote_opened = true;
      if (!channel.local_id) {
        open_channel(*peer, *state);
      } else {
        start_channel(*peer, channel);
      }
    } else if (auto* message = std::get_if<ChannelMessage>(&event)) {
      if (!message->discovery_key) continue;  // stream-level Options/Extension: none used
      auto it = peer->channels.find(*message->discovery_key);
      if (it == peer->channels.end() || !it->second.started) continue;
      handle_message(*peer, it->second, message->message);
    } else if (auto* closed = std::get_if<ChannelClosed>(&event)) {
      on_channel_closed(*peer, closed->discovery_key);
    }
  }
}

void Replicator::on_drained(Connection& connection) {
  Peer* peer = find_peer(connection);
  if (peer == nullptr) return;
  serve_requests(*peer);
  pump_all();
}

void Replicator::on_closed(Connection& connection, const Error& reason) {
  Peer* peer = find_peer(connection);
  if (peer == nullptr) return;
  peer->closed = true;
  if (peer->dropped || reason.code() == Errc::Unavailable || reason.code() == Errc::Cancelled) {
    log::debug("wire", "peer {} closed: {}", peer->id, reason.to_string());
  } else {
    log::warn("wire", "peer {} closed: {}", peer->id, reason.to_string());
  }
  release_requests(*peer);
  auto it = peers_.find(peer->id);
  retired_.push_back(std::move(it->second));
  peers_.erase(it);
  post([this]() {
    retired_.clear();
    pump_all();
    changed();
  });
}

// ---- channels -----------------------------------------------------------------------------

void Replicator::open_channel(Peer& peer, CoreState& state) {
  const crypto::DiscoveryKey& dk = state.core->discovery_key();
  auto id = peer.connection->session().open(state.core->key());
  if (!id) {
    log::warn("wire", "peer {}: cannot open {}: {}", peer.id, short_key(dk),
              id.error().to_string());
    peer.channels.erase(dk);
    return;
  }
  Channel& channel = peer.channels[dk];
  channel.core = &state;
  channel.discovery_key = dk;
  channel.local_id = *id;
  if (channel.remote_opened) start_channel(peer, channel);
}

void Replicator::start_channel(Peer& peer, Channel& channel) {
  if (channel.started || !channel.local_id) return;
  channel.started = true;
  channel.window = RequestWindow(options_.max_requests_per_peer, options_.max_request_window);
  CoreState& state = *channel.core;
  channel.downloading = state.default_downloading;
  // wire.md §7.1: Options first when the core has feed extensions; Status only when one of
  // the flags is false; Want only when downloading.
  if (!state.extensions.empty()) {
    send(peer, *channel.local_id, channel.extensions.set_local(state.extensions));
  }
  if (!state.options.upload || !channel.downloading) {
    send(peer, *channel.local_id, StatusMessage{state.options.upload, channel.downloading});
  }
  if (channel.downloading) {
    // Always region 0 (it also tells us the remote's length), then what is selected.
    want_regions_on(peer, channel, 0, 1);
    for (const Selection& selection : state.selections) {
      want_regions_on(peer, channel, selection.start,
                      selection.end.value_or(selection.start + 1));
    }
    for (const auto& [block, ids] : state.get_blocks) want_regions_on(peer, channel, block, block + 1);
  } else if (state.core->writable() && state.options.live) {
    // Live: the region at our length, for a peer's Have past it, which means the core was
    // written elsewhere too (check_ahead). Nothing is requested: a writer does not download.
    const uint64_t region = state.core->length() / kWantRegion;
    send(peer, *channel.local_id, Want{region * kWantRegion, kWantRegion});
  }
  log::debug("wire", "peer {}: channel {} started", peer.id, short_key(channel.discovery_key));
}

void Replicator::handle_message(Peer& peer, Channel& channel, Message& message) {
  CoreState& state = *channel.core;
  if (auto* have = std::get_if<Have>(&message)) {
    on_have(peer, channel, *have);
  } else if (auto* unhave = std::get_if<Unhave>(&message)) {
    uint64_t length = unhave->length_or_default();
    if (unhave->start < kMaxBlockIndex && length < kMaxBlockIndex) {
      channel.remote.remove(unhave->start, unhave->start + length);
    }
  } else if (auto* want = std::get_if<Want>(&message)) {
    on_want(peer, channel, *want);
  } else if (auto* request = std::get_if<Request>(&message)) {
    if (!state.options.upload) return;
    if (channel.requests.size() >= kMaxQueuedRequests) {
      drop_peer(peer, Error::protocol("more than {} requests queued", kMaxQueuedRequests));
      return;
    }
    channel.requests.push_back(*request);
    serve_requests(peer);
  } else if (auto* cancel = std::get_if<Cancel>(&message)) {
    auto& queue = channel.requests;
    queue.erase(std::remove_if(queue.begin(), queue.end(),
                               [&](const Request& r) { return r.index == cancel->index; }),
                queue.end());
  } else if (auto* data = std::get_if<Data>(&message)) {
    on_data(peer, channel, *data);
  } else if (auto* status = std::get_if<StatusMessage>(&message)) {
    on_remote_status(peer, channel, *status);
  } else if (auto* options = std::get_if<Options>(&message)) {
    channel.extensions.set_remote(std::move(options->extensions));
  } else if (auto* extension = std::get_if<Extension>(&message)) {
    auto name = channel.extensions.resolve_remote(extension->id);
    if (name && state.on_extension) state.on_extension(peer.id, *name, ByteView(extension->payload));
  }
  // Unwant: nothing to do; acks are never requested.
}

size_t Replicator::broadcast_extension(const core::Core& core, const std::string& name, const Bytes& payload) {
  size_t sent = 0;
  for (auto& [id, peer] : peers_) {
    if (peer->closed) continue;
    auto ch = peer->channels.find(core.discovery_key());
    if (ch == peer->channels.end() || !ch->second.started || !ch->second.local_id) continue;
    const auto& theirs = ch->second.extensions.remote();
    if (std::find(theirs.begin(), theirs.end(), name) == theirs.end()) continue;
    auto message = ch->second.extensions.make_message(name, payload);
    if (!message) continue;
    send(*peer, *ch->second.local_id, *message);
    ++sent;
  }
  return sent;
}

Status Replicator::set_extensions(const core::Core& core, std::vector<std::string> names, ExtensionHandler handler) {
  CoreState* state = find_core(core.discovery_key());
  if (state == nullptr) return Error::not_found("core {} is not replicated", short_key(core.discovery_key()));
  state->extensions = std::move(names);
  state->on_extension = std::move(handler);
  return {};
}

Status Replicator::send_extension(const core::Core& core, PeerId peer_id, const std::string& name, Bytes payload) {
  auto peer_it = peers_.find(peer_id);
  if (peer_it == peers_.end() || peer_it->second->closed) return Error::not_found("no peer {}", peer_id);
  Peer& peer = *peer_it->second;
  auto ch = peer.channels.find(core.discovery_key());
  if (ch == peer.channels.end() || !ch->second.started || !ch->second.local_id) {
    return Error::not_found("peer {} has no channel of {}", peer_id, short_key(core.discovery_key()));
  }
  auto message = ch->second.extensions.make_message(name, std::move(payload));
  if (!message) return Error::not_found("{} is not an extension of {}", name, short_key(core.discovery_key()));
  send(peer, *ch->second.local_id, *message);
  return {};
}

void Replicator::on_want(Peer& peer, Channel& channel, const Want& want) {
  CoreState& state = *channel.core;
  if (!state.options.upload) return;
  uint64_t length = want.length.value_or(0);
  if (want.start % kWantAlign != 0 || length % kWantAlign != 0) return;
  const core::Core& core = *state.core;
  if (!channel.remote_want && core.length() > 0 && core.has(core.length() - 1)) {
    send(peer, *channel.local_id, Have{core.length() - 1, std::nullopt, std::nullopt, std::nullopt});
  }
  channel.remote_want = true;
  Bytes bits = core.bitfield().data_bits(want.start, length);
  send(peer, *channel.local_id, Have{want.start, length, core::rle_encode(bits), std::nullopt});
}

void Replicator::on_have(Peer& peer, Channel& channel, const Have& have) {
  if (have.start >= kMaxBlockIndex) {
    drop_peer(peer, Error::protocol("Have for block {} is out of range", have.start));
    return;
  }
  if (have.bitfield) {
    auto bits = core::rle_decode(*have.bitfield, kMaxHaveBitfieldBytes);
    if (!bits) {
      drop_peer(peer, Error::protocol("bad Have bitfield: {}", bits.error().to_string()));
      return;
    }
    uint64_t run_start = 0;
    bool in_run = false;
    uint64_t total = uint64_t{bits->size()} * 8;
    for (uint64_t i = 0; i <= total; ++i) {
      bool set = i < total && (((*bits)[i / 8] >> (7 - i % 8)) & 1) != 0;
      if (set && !in_run) {
        run_start = i;
        in_run = true;
      } else if (!set && in_run) {
        channel.remote.add(have.start + run_start, have.start + i);
        in_run = false;
      }
    }
  } else {
    uint64_t length = have.length_or_default();
    if (length == 0) length = 1;
    if (length >= kMaxBlockIndex) {
      drop_peer(peer, Error::protocol("Have length {} is out of range", length));
      return;
    }
    channel.remote.add(have.start, have.start + length);
  }
  channel.core->heard_have = true;
  check_ahead(peer, channel);
  if (channel.core->options.follow_head) follow_head(*channel.core);
  check_done(*channel.core);
}

void Replicator::on_remote_status(Peer& peer, Channel& channel, const StatusMessage& status) {
  channel.remote_uploading = status.uploading.value_or(false);
  channel.remote_downloading = status.downloading.value_or(false);
  if (!channel.remote_uploading) release_requests(peer, channel.core);
  maybe_end_channel(peer, channel);
}

void Replicator::on_channel_closed(Peer& peer, const crypto::DiscoveryKey& discovery_key) {
  auto it = peer.channels.find(discovery_key);
  if (it == peer.channels.end()) return;
  // As hypercore-protocol 8 does, answer a Close for a channel still open here with Close{}:
  // also when the remote never opened it and refused it with Close{discoveryKey}. Until that
  // reply, a hypercore-protocol 8 peer keeps our Open on record, so when it opens the feed later
  // (hyperdrive's content core, once its key is known) it treats the channel as open both ways
  // at once and sends its Want before our new Open: we drop that Want (§5.2) and it never hears
  // a Have from us.
  if (it->second.local_id) send(peer, *it->second.local_id, Close{});
  close_channel(peer, it->second);
}

void Replicator::maybe_end_channel(Peer& peer, Channel& channel) {
  CoreState& state = *channel.core;
  if (state.options.live || channel.downloading || channel.remote_downloading) return;
  // wire.md §7.5: the writer (not downloading by default) says so, then both close.
  if (!state.default_downloading) send(peer, *channel.local_id, StatusMessage{false, false});
  send(peer, *channel.local_id, Close{});
  close_channel(peer, channel);
}

void Replicator::close_channel(Peer& peer, Channel& channel) {
  CoreState* state = channel.core;
  crypto::DiscoveryKey key = channel.discovery_key;
  release_requests(peer, state);
  peer.channels.erase(key);
  bool any_live = std::any_of(cores_.begin(), cores_.end(),
                              [](const auto& c) { return c->options.live; });
  if (peer.channels.empty() && !any_live && !peer.closed) {
    auto flushed = peer.connection->flush();
    (void)flushed;
    peer.connection->end();
  }
}

void Replicator::want_regions_on(Peer& peer, Channel& channel, uint64_t start, uint64_t end) {
  if (!channel.started || !channel.downloading || end <= start) return;
  for (uint64_t region = start / kWantRegion; region <= (end - 1) / kWantRegion; ++region) {
    if (channel.want_regions.size() >= 16) return;  // at most 16 want regions per peer (§7.1)
    if (!channel.want_regions.insert(region).second) continue;
    send(peer, *channel.local_id, Want{region * kWantRegion, kWantRegion});
  }
}

void Replicator::want_regions(CoreState& state, uint64_t start, uint64_t end) {
  for (auto& [id, peer] : peers_) {
    auto it = peer->channels.find(state.core->discovery_key());
    if (it != peer->channels.end()) want_regions_on(*peer, it->second, start, end);
  }
}

void Replicator::check_done(CoreState& state) {
  if (state.options.live || !state.selected || !done(*state.core)) return;
  // wire.md §7.5: a non-live reader that has everything it selected stops downloading.
  for (auto& [id, peer] : peers_) {
    auto it = peer->channels.find(state.core->discovery_key());
    if (it == peer->channels.end() || !it->second.started || !it->second.downloading) continue;
    it->second.downloading = false;
    send(*peer, *it->second.local_id, StatusMessage{state.options.upload, false});
    maybe_end_channel(*peer, it->second);
  }
}

}  // namespace hypermount::wire
