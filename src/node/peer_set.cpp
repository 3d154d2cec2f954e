#include "node/peer_set.hpp"

#include "node/utp_stream.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <utility>

namespace hypermount::node {

PeerSet::PeerSet(uv_loop_t* loop, wire::Replicator& replicator, wire::ProtocolVersion protocol,
                 OnConnect on_connect)
    : loop_(loop), replicator_(replicator), protocol_(protocol), on_connect_(std::move(on_connect)) {}

PeerSet::~PeerSet() { close(); }

void PeerSet::close() {
  closed_ = true;
  if (redial_timer_ != nullptr) {
    uv_timer_stop(redial_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(redial_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    redial_timer_ = nullptr;
  }
  listener_.reset();
  for (Slot& slot : slots_) {
    if (slot.cancel_tcp) std::exchange(slot.cancel_tcp, nullptr)();
  }
  if (utp_socket_ != nullptr && !utp_socket_alive_.expired()) utp_socket_->set_utp_accept(nullptr);
  utp_socket_ = nullptr;
  replicator_.close_all();
}

Result<uint16_t> PeerSet::listen(std::string_view address, wire::ProtocolVersion version) {
  HM_TRY_ASSIGN(sockaddr_in at, wire::parse_host_port(address));
  HM_TRY_ASSIGN(listener_, wire::TcpListener::listen(loop_, at, [this, version](wire::StreamHandle s) {
    if (replicator_.peer_count() >= kMaxConnections) {
      // Closing the stream refuses it; the remote retries later, as against a full hyperswarm.
      log::debug("node", "peer refused: {} connections already", kMaxConnections);
      return;
    }
    auto added = replicator_.add_stream(std::move(s), crypto::NoiseRole::Responder, version);
    if (!added) {
      log::warn("node", "peer refused: {}", added.error().to_string());
      return;
    }
    if (on_connect_) on_connect_("tcp");
  }));
  return listener_->port();
}

void PeerSet::accept_utp(swarm::DhtSocket& socket, wire::ProtocolVersion version) {
  utp_socket_ = &socket;
  utp_socket_alive_ = socket.alive();
  socket.set_utp_accept([this, &socket, version](const swarm::Ipv4Address& from, swarm::UtpConnection& conn) {
    if (closed_ || replicator_.peer_count() >= kMaxConnections) {
      log::debug("node", "utp peer {} refused: {} connections already", from.to_string(), kMaxConnections);
      return false;
    }
    auto added = replicator_.add_stream(std::make_unique<UtpStream>(loop_, socket, conn, from),
                                        crypto::NoiseRole::Responder, version);
    if (!added) {
      log::warn("node", "utp peer {} refused: {}", from.to_string(), added.error().to_string());
      return false;
    }
    if (on_connect_) on_connect_("utp");
    return true;
  });
}

Status PeerSet::attach_stdio(crypto::NoiseRole role, wire::ProtocolVersion version) {
  HM_TRY_ASSIGN(wire::StdioStreams streams, wire::take_stdio(loop_));
  HM_TRY(replicator_.add_stream(std::move(streams.input), std::move(streams.output), role, version));
  log::info("node", "replicating over standard input/output as {}",
            role == crypto::NoiseRole::Initiator ? "initiator" : "responder");
  if (on_connect_) on_connect_("pipe");
  return {};
}

Status PeerSet::dial_all(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses) HM_TRY(wire::parse_host_port(address));
  for (const std::string& address : addresses) HM_TRY(dial(add_slot(address, false)));
  return {};
}

void PeerSet::keep_connected() {
  redial_static_ = true;
  start_timer();
}

void PeerSet::start_timer() {
  if (redial_timer_ != nullptr || closed_) return;
  redial_timer_ = new uv_timer_t;
  uv_timer_init(loop_, redial_timer_);
  redial_timer_->data = this;
  // Ticks often enough for the shortest backoff; static peers are redialled every kRedialMs.
  const uint64_t tick = std::min<uint64_t>(kRedialMs, std::max<uint64_t>(1, found_backoff_ms_[0] / 2));
  uv_timer_start(redial_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<PeerSet*>(t->data);
    self->expire_dials();
    self->retry_found();
    if (self->redial_static_ && uv_now(self->loop_) >= self->next_static_redial_ms_) {
      self->next_static_redial_ms_ = uv_now(self->loop_) + kRedialMs;
      self->redial_lost();
    }
  }, tick, tick);
}

void PeerSet::add_found(const std::string& address, std::optional<swarm::Ipv4Address> referrer) {
  if (closed_) return;
  for (const Slot& slot : slots_) {
    if (slot.address == address) return;
  }
  if (busy_count() >= kMaxPeers) return;
  add_slot(address, true).referrer = referrer;
  start_timer();
  if (auto s = dial(slots_.back()); !s) {
    log::debug("node", "found peer {}: {}", address, s.error().to_string());
    slots_.pop_back();
  }
}

size_t PeerSet::found_count() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.found; }));
}

size_t PeerSet::busy_count() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [this](const Slot& s) {
    return s.dialing || connected(s);
  }));
}

void PeerSet::retry_found() {
  const uint64_t now = uv_now(loop_);
  for (auto it = slots_.begin(); it != slots_.end();) {
    Slot& slot = *it;
    const bool idle = slot.found && !slot.dialing && !connected(slot) && !ourselves(slot);
    if (idle && slot.retry_at == 0) {  // just failed or lost
      if (slot.retries == static_cast<int>(found_backoff_ms_.size())) {
        log::debug("node", "found peer {}: forgotten after {} retries", slot.address, slot.retries);
        it = slots_.erase(it);  // never while dialling: a dial's callback holds its slot
        continue;
      }
      slot.retry_at = now + found_backoff_ms_[static_cast<size_t>(slot.retries)];
    } else if (idle && now >= slot.retry_at) {
      slot.retries++;
      slot.retry_at = 0;
      slot.id.reset();
      if (auto s = dial(slot); !s) log::debug("node", "found peer {}: {}", slot.address, s.error().to_string());
    }
    ++it;
  }
}

void PeerSet::redial_lost() {
  for (Slot& slot : slots_) {
    if (slot.found || slot.dialing || connected(slot) || ourselves(slot)) continue;
    slot.id.reset();
    if (auto s = dial(slot); !s) log::debug("node", "peer {}: {}", slot.address, s.error().to_string());
  }
}

PeerSet::Slot& PeerSet::add_slot(std::string address, bool found) {
  return slots_.emplace_back(next_serial_++, std::move(address), found);
}

PeerSet::Slot* PeerSet::dialing_slot(uint64_t serial, uint64_t attempt) {
  for (Slot& slot : slots_) {
    if (slot.serial == serial) return slot.dialing && slot.attempt == attempt ? &slot : nullptr;
  }
  return nullptr;
}

void PeerSet::expire_dials() {
  const uint64_t now = uv_now(loop_);
  for (Slot& slot : slots_) {
    if (!slot.dialing || now < slot.dial_deadline) continue;
    slot.dialing = false;  // its callback, if it ever comes, is ignored
    slot.failure = fmt::format("no connection in {} s", kDialTimeoutMs / 1000);
    log::debug("node", "peer {}: {}", slot.address, slot.failure);
  }
}

Status PeerSet::dial(Slot& slot) {
  HM_TRY_ASSIGN(sockaddr_in address, wire::parse_host_port(slot.address));
  slot.dialing = true;
  slot.dial_deadline = uv_now(loop_) + kDialTimeoutMs;
  const uint64_t attempt = ++slot.attempt;
  auto done = [this, serial = slot.serial, attempt, alive = std::weak_ptr<bool>(alive_)](Result<wire::StreamHandle> s) {
    if (alive.expired()) return;  // the set is gone; the stream closes with `s`
    Slot* slot = dialing_slot(serial, attempt);
    if (slot == nullptr) return;  // given up, forgotten, or connected over uTP meanwhile
    slot->cancel_tcp = nullptr;  // this connect is over: nothing left to cancel
    if (!s) {
      leg_failed(*slot, s.error().to_string());
      return;
    }
    dialled(*slot, wire::byte_stream(std::move(*s)), "tcp");
  };
  auto started = wire::dial_tcp(loop_, address, std::move(done));
  if (!started) {
    slot.dialing = false;
    return started.error();
  }
  slot.cancel_tcp = std::move(*started);
  slot.legs = 1;
  slot.failure.clear();
  if (slot.referrer && utp_socket_ != nullptr && !utp_socket_alive_.expired()) punch(slot, attempt);
  return {};
}

void PeerSet::punch(Slot& slot, uint64_t attempt) {
  const std::optional<swarm::Ipv4Address> peer = swarm::parse_address(slot.address);
  if (!peer) return;
  const uint64_t serial = slot.serial;
  auto alive = std::weak_ptr<bool>(alive_);
  // The uTP connect once the hole is open; the connection is reset if the dial is over by then.
  auto on_open = [this, serial, attempt, alive, peer = *peer](Result<swarm::Reply> reply) {
    if (alive.expired() || utp_socket_alive_.expired()) return;
    Slot* slot = dialing_slot(serial, attempt);
    if (slot == nullptr) return;
    if (!reply) {
      leg_failed(*slot, fmt::format("hole punch: {}", reply.error().to_string()));
      return;
    }
    swarm::DhtSocket* socket = utp_socket_;
    auto on_connected = [this, serial, attempt, alive, peer, socket](swarm::UtpConnection* conn) {
      Slot* slot = alive.expired() ? nullptr : dialing_slot(serial, attempt);
      if (slot == nullptr) {
        conn->reset();
        return;
      }
      dialled(*slot, std::make_unique<UtpStream>(loop_, *socket, *conn, peer), "utp");
    };
    auto shared_conn = std::make_shared<swarm::UtpConnection*>(nullptr);
    auto conn = socket->utp().connect(
        peer,
        {{},
         [shared_conn, on_connected] { on_connected(*shared_conn); },
         [](ByteView) {},
         [] {},
         [this, serial, attempt, alive](const Error& error) {
           Slot* slot = alive.expired() ? nullptr : dialing_slot(serial, attempt);
           if (slot != nullptr) leg_failed(*slot, fmt::format("utp: {}", error.to_string()));
         }},
        swarm::DhtSocket::now_us());
    if (!conn) {
      leg_failed(*slot, fmt::format("utp: {}", conn.error().to_string()));
      return;
    }
    *shared_conn = *conn;
  };
  if (auto started = utp_socket_->node().holepunch(*peer, *slot.referrer, std::move(on_open)); started) {
    slot.legs++;
  } else {
    log::debug("node", "found peer {}: hole punch: {}", slot.address, started.error().to_string());
  }
}

void PeerSet::leg_failed(Slot& slot, std::string why) {
  log::debug("node", "peer {}: {}", slot.address, why);
  slot.failure = slot.failure.empty() ? std::move(why) : fmt::format("{}; {}", slot.failure, why);
  if (--slot.legs > 0) return;
  slot.dialing = false;
  // Said once; the redial timer keeps trying quietly.
  if (!redial_static_ && !slot.found) log::warn("node", "peer {}: {}", slot.address, slot.failure);
}

void PeerSet::dialled(Slot& slot, std::unique_ptr<wire::ByteStream> stream, const std::string& transport) {
  slot.dialing = false;
  // A TCP connect still under way (the peer is behind a NAT) would hold the loop for minutes.
  if (slot.cancel_tcp) std::exchange(slot.cancel_tcp, nullptr)();
  slot.legs = 0;
  if (closed_) return;  // closed while dialling
  auto added = replicator_.add_stream(std::move(stream), crypto::NoiseRole::Initiator, protocol_);
  if (!added) {
    log::warn("node", "peer {}: {}", slot.address, added.error().to_string());
    return;
  }
  slot.id = *added;
  slot.retries = 0;  // a found peer that connects starts its backoff again when lost
  log::debug("node", "peer {}: connected over {}", slot.address, transport);
  if (on_connect_) on_connect_(transport);
}

bool PeerSet::any_connected() const {
  for (const Slot& slot : slots_) {
    if (connected(slot)) return true;
  }
  return false;
}

bool PeerSet::connected(const Slot& slot) const {
  std::optional<wire::Replicator::PeerId> id = slot.id;
  // A connection closed as a duplicate stands for the one kept instead (which may in turn have
  // given way to a third).
  for (int hop = 0; id && hop < 4; ++hop) {
    if (replicator_.has_peer(*id)) return true;
    auto fate = replicator_.deduplicated(*id);
    id = fate && std::holds_alternative<wire::Replicator::PeerId>(*fate)
             ? std::optional(std::get<wire::Replicator::PeerId>(*fate))
             : std::nullopt;
  }
  return false;
}

bool PeerSet::ourselves(const Slot& slot) const {
  if (!slot.id) return false;
  auto fate = replicator_.deduplicated(*slot.id);
  return fate && std::holds_alternative<wire::Replicator::Deduplicated>(*fate);
}

bool PeerSet::any_dialing() const {
  for (const Slot& slot : slots_) {
    if (slot.dialing) return true;
  }
  return false;
}

Status PeerSet::await_a_peer(uint64_t timeout_ms) {
  bool expired = false;
  uv_timer_t deadline;
  uv_timer_init(loop_, &deadline);
  deadline.data = &expired;
  uv_timer_start(&deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, timeout_ms, 0);
  while (!any_connected() && (any_dialing() || discovering_) && !expired) uv_run(loop_, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(loop_, UV_RUN_NOWAIT);  // the close callback, before `deadline` goes out of scope
  if (any_connected()) return {};
  if (slots_.empty() && discovering_) {
    return Error::unavailable("no peer found in {} s", static_cast<double>(timeout_ms) / 1000);
  }
  std::string failures;
  for (const Slot& slot : slots_) {
    std::string why = slot.dialing           ? fmt::format("no answer in {} s", timeout_ms / 1000.0)
                      : slot.failure.empty() ? "connection closed"
                                             : slot.failure;
    failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", slot.address, why);
  }
  return Error::unavailable("no peer reachable ({})", failures);
}

}  // namespace hypermount::node
