#include "swarm/utp_connection.hpp"

#include <algorithm>
#include <cstdlib>

namespace hypermount::swarm {

namespace {

// libutp's constants (utp_internal.cpp): the SYN's first timeout, the floor of the RTO, the
// consecutive timeouts that kill a connection (2 while connecting), the acks a packet may trail,
// the duplicate acks that trigger a fast retransmit, the smallest window, the growth per RTT,
// and how often a loss may halve the window.
constexpr uint32_t kSynTimeoutMs = 3000;
constexpr uint32_t kMinRtoMs = 1000;
constexpr uint32_t kMaxTimeouts = 4;
constexpr uint32_t kMaxSynTimeouts = 2;
constexpr uint16_t kAckAllowedWindow = 3;
constexpr uint32_t kDuplicateAcksBeforeResend = 3;
constexpr size_t kMinWindow = 10;
constexpr double kMaxWindowIncreasePerRtt = 3000;
constexpr uint64_t kWindowDecayUs = 100'000;
constexpr uint64_t kDelayMinuteUs = 60'000'000;
// How long a closed connection still answers the remote's resent FIN, in RTOs: the remote's
// next two retransmissions (after one and then two more RTOs) fall inside it.
constexpr uint64_t kLingerRtos = 4;

uint16_t distance(uint16_t from, uint16_t to) { return static_cast<uint16_t>(to - from); }

}  // namespace

UtpConnection::UtpConnection(UtpConfig config, UtpEvents events, uint64_t now_us)
    : config_(config),
      events_(std::move(events)),
      now_us_(now_us),
      ssthresh_(config.send_buffer),
      last_sent_us_(now_us),
      delay_minute_start_us_(now_us) {}

std::unique_ptr<UtpConnection> UtpConnection::connect(uint16_t receive_id, uint16_t first_seq,
                                                      UtpConfig config, UtpEvents events,
                                                      uint64_t now_us) {
  std::unique_ptr<UtpConnection> c(new UtpConnection(config, std::move(events), now_us));
  c->receive_id_ = receive_id;
  c->send_id_ = static_cast<uint16_t>(receive_id + 1);
  c->seq_nr_ = first_seq;
  c->retransmit_timeout_ms_ = kSynTimeoutMs;
  c->queue_packet(UtpType::Syn, {});
  c->transmit(0);
  return c;
}

std::unique_ptr<UtpConnection> UtpConnection::accept(const UtpPacket& syn, uint16_t first_seq,
                                                     UtpConfig config, UtpEvents events,
                                                     uint64_t now_us) {
  std::unique_ptr<UtpConnection> c(new UtpConnection(config, std::move(events), now_us));
  c->state_ = UtpState::SynReceived;
  c->receive_id_ = static_cast<uint16_t>(syn.conn_id + 1);
  c->send_id_ = syn.conn_id;
  c->seq_nr_ = first_seq;
  c->ack_nr_ = syn.seq_nr;
  c->last_peer_ack_ = static_cast<uint16_t>(first_seq - 1);
  c->peer_window_ = syn.wnd_size;
  c->reply_micro_ = static_cast<uint32_t>(now_us) - syn.timestamp_us;
  // The STATE carries the next seq without consuming it (swarm.md §10).
  c->send_state(c->ack_nr_);
  return c;
}

uint16_t UtpConnection::first_outstanding_seq() const {
  return static_cast<uint16_t>(seq_nr_ - outstanding_.size());
}

uint32_t UtpConnection::advertised_window() const {
  return static_cast<uint32_t>(config_.receive_window - std::min(config_.receive_window, reorder_bytes_));
}

size_t UtpConnection::writable_bytes() const {
  if (close_requested_ || state_ == UtpState::Closed || state_ == UtpState::Failed) return 0;
  const size_t used = pending_.size() + outstanding_bytes_;
  return config_.send_buffer > used ? config_.send_buffer - used : 0;
}

UtpPacket UtpConnection::header(UtpType type, uint16_t seq) const {
  UtpPacket packet;
  packet.type = type;
  // The SYN names the initiator's receive id; everything else uses the send id (swarm.md §10).
  packet.conn_id = type == UtpType::Syn ? receive_id_ : send_id_;
  packet.timestamp_us = static_cast<uint32_t>(now_us_);
  packet.timestamp_diff_us = reply_micro_;
  packet.wnd_size = advertised_window();
  packet.seq_nr = seq;
  packet.ack_nr = type == UtpType::Syn ? 0 : ack_nr_;
  return packet;
}

void UtpConnection::transmit(size_t index) {
  Outgoing& out = outstanding_[index];
  UtpPacket packet = header(out.type, static_cast<uint16_t>(first_outstanding_seq() + index));
  packet.payload = out.payload;
  out.sent_us = now_us_;
  ++out.transmissions;
  if (out.need_resend || out.transmissions == 1) in_flight_ += out.payload.size();
  out.need_resend = false;
  last_sent_us_ = now_us_;
  if (rto_deadline_us_ == 0) rto_deadline_us_ = now_us_ + uint64_t{retransmit_timeout_ms_} * 1000;
  events_.send(encode_utp_packet(packet));
}

void UtpConnection::send_state(uint16_t ack_nr) {
  UtpPacket packet = header(UtpType::State, seq_nr_);
  packet.ack_nr = ack_nr;
  // Bit i of the selective ACK stands for ack_nr + 2 + i, the FIN included.
  if (!reorder_.empty() || (fin_received_ && fin_seq_ != static_cast<uint16_t>(ack_nr_ + 1))) {
    Bytes mask(kUtpMaxSelectiveAckBytes, 0);
    size_t used = 0;
    auto mark = [&](uint16_t seq) {
      const size_t bit = distance(static_cast<uint16_t>(ack_nr_ + 2), seq);
      if (bit >= mask.size() * 8) return;
      mask[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      used = std::max(used, (bit / 32 + 1) * 4);
    };
    for (const auto& entry : reorder_) mark(entry.first);
    if (fin_received_) mark(fin_seq_);
    if (used > 0) {
      mask.resize(used);
      packet.selective_ack = std::move(mask);
    }
  }
  last_sent_us_ = now_us_;
  events_.send(encode_utp_packet(packet));
}

void UtpConnection::queue_packet(UtpType type, Bytes payload) {
  outstanding_bytes_ += payload.size();
  outstanding_.push_back(Outgoing{type, std::move(payload)});
  seq_nr_ = static_cast<uint16_t>(seq_nr_ + 1);
}

void UtpConnection::flush() {
  if (state_ != UtpState::Connected && state_ != UtpState::SynReceived) return;
  const size_t window = std::min<size_t>(max_window_, peer_window_);
  auto room = [&] { return window > in_flight_ ? window - in_flight_ : 0; };
  // Packets declared lost go first, oldest first.
  for (size_t i = 0; i < outstanding_.size(); ++i) {
    Outgoing& out = outstanding_[i];
    if (!out.need_resend || out.acked) continue;
    if (in_flight_ > 0 && out.payload.size() > room()) return;
    transmit(i);
  }
  while (outstanding_.size() < kUtpMaxOutstanding) {
    if (!pending_.empty()) {
      // Only whole packets go (no silly-window slivers), except that with nothing in flight one
      // packet always goes, so a window smaller than a packet still makes progress.
      size_t size = std::min(kUtpMaxPayload, pending_.size());
      if (size > room() && in_flight_ > 0) return;
      Bytes payload(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(size));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(size));
      queue_packet(UtpType::Data, std::move(payload));
    } else if (close_requested_ && !fin_sent_) {
      fin_sent_ = true;
      queue_packet(UtpType::Fin, {});
    } else {
      return;
    }
    transmit(outstanding_.size() - 1);
  }
}

size_t UtpConnection::write(ByteView bytes) {
  const size_t taken = std::min(bytes.size(), writable_bytes());
  pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(taken));
  flush();
  return taken;
}

void UtpConnection::close() {
  if (close_requested_ || state_ == UtpState::Closed || state_ == UtpState::Failed) return;
  close_requested_ = true;
  flush();
}

void UtpConnection::reset() {
  if (state_ == UtpState::Closed || state_ == UtpState::Failed) return;
  events_.send(encode_utp_packet(header(UtpType::Reset, seq_nr_)));
  state_ = UtpState::Failed;
}

void UtpConnection::set_events(UtpEvents events) {
  events.send = std::move(events_.send);
  events_ = std::move(events);
}

void UtpConnection::fail(Error error) {
  state_ = UtpState::Failed;
  events_.error(error);
}

void UtpConnection::maybe_closed() {
  // A selective ack may cover the FIN before the data in front of it.
  if (state_ != UtpState::Failed && fin_acked_ && outstanding_.empty() && end_delivered_) {
    enter_closed();
  }
}

void UtpConnection::enter_closed() {
  state_ = UtpState::Closed;
  linger_until_us_ = now_us_ + kLingerRtos * rto_ms_ * 1000;
}

bool UtpConnection::finished(uint64_t now_us) const {
  return state_ == UtpState::Failed || (state_ == UtpState::Closed && now_us >= linger_until_us_);
}

// Both streams ended and the remote holds all our data; only the acknowledgement of our FIN is
// missing. A remote that resets or goes silent then had finished: libutp does not linger, so
// this is how its connections end whenever the last ack is lost. Such a connection closes.
bool UtpConnection::only_fin_unacknowledged() const {
  if (!end_delivered_ || !fin_sent_) return false;
  return std::all_of(outstanding_.begin(), outstanding_.end(),
                     [](const Outgoing& out) { return out.acked || out.type == UtpType::Fin; });
}

void UtpConnection::acknowledge(Outgoing& out) {
  if (out.acked) return;
  out.acked = true;
  if (!out.need_resend && out.transmissions > 0) in_flight_ -= out.payload.size();
  outstanding_bytes_ -= out.payload.size();
  if (out.type == UtpType::Fin) fin_acked_ = true;
}

void UtpConnection::update_delay_base(uint32_t sample_us) {
  if (!have_delay_) {
    have_delay_ = true;
    delay_minute_min_ = sample_us;
    delay_history_.fill(sample_us);
  }
  // Timestamps wrap, so "smaller" is a signed difference.
  if (static_cast<int32_t>(sample_us - delay_minute_min_) < 0) delay_minute_min_ = sample_us;
  if (now_us_ - delay_minute_start_us_ >= kDelayMinuteUs) {
    delay_minute_start_us_ = now_us_;
    delay_history_[delay_history_at_] = delay_minute_min_;
    delay_history_at_ = (delay_history_at_ + 1) % delay_history_.size();
    delay_minute_min_ = sample_us;
  }
}

void UtpConnection::apply_ledbat(size_t acked_bytes, uint32_t delay_sample_us) {
  update_delay_base(delay_sample_us);
  uint32_t base = delay_minute_min_;
  for (uint32_t h : delay_history_) {
    if (static_cast<int32_t>(h - base) < 0) base = h;
  }
  const double our_delay = std::max(0, static_cast<int32_t>(delay_sample_us - base));
  const double window = static_cast<double>(max_window_);
  const double acked = static_cast<double>(acked_bytes);
  const double window_factor = std::min(acked, window) / std::max(window, acked);
  const double delay_factor = (kUtpTargetDelayUs - our_delay) / kUtpTargetDelayUs;
  const double ledbat = std::max(window + kMaxWindowIncreasePerRtt * window_factor * delay_factor,
                                 static_cast<double>(kMinWindow));
  double next = ledbat;
  if (slow_start_) {
    const double slow = window + window_factor * static_cast<double>(kUtpMaxPayload);
    if (slow > static_cast<double>(ssthresh_) || our_delay > kUtpTargetDelayUs * 0.9) {
      slow_start_ = false;
      ssthresh_ = max_window_;
    } else {
      next = std::max(slow, ledbat);
    }
  }
  max_window_ = std::clamp(static_cast<size_t>(next), kMinWindow, config_.send_buffer);
}

void UtpConnection::on_loss() {
  if (now_us_ - last_decay_us_ < kWindowDecayUs) return;
  last_decay_us_ = now_us_;
  max_window_ = std::max(max_window_ / 2, kMinWindow);
  slow_start_ = false;
  ssthresh_ = max_window_;
}

void UtpConnection::fast_retransmit(uint16_t ack_nr) {
  // A packet is lost once kDuplicateAcksBeforeResend packets sent after its latest transmission
  // are acknowledged (libutp's selective-ACK rule, counted from the last sending). So a lost
  // retransmission is found as the first loss was, not by RTOs that double: utp-native drops a
  // packet whose ack number a reordered later ack has made stale, and keeps acking the hole.
  // The oldest packet also goes after as many duplicate acks, and again after as many more when
  // an RTO without its one-second floor has passed since it went: the acks that still name the
  // hole were sent for packets that left after it.
  std::array<uint64_t, kDuplicateAcksBeforeResend> latest{};  // newest sending times of acked packets after
  const uint64_t rto_unfloored_us = std::max<uint64_t>((rtt_ms_ + 4 * rtt_var_ms_) * 1000, kUtpTickUs);
  bool lost = false;
  for (size_t i = outstanding_.size(); i-- > 0;) {
    Outgoing& out = outstanding_[i];
    if (out.acked) {
      uint64_t sent = out.sent_us;
      for (uint64_t& t : latest) {
        if (sent > t) std::swap(sent, t);
      }
      continue;
    }
    if (out.transmissions == 0 || out.need_resend) continue;
    const bool overtaken = latest.back() > out.sent_us;
    const bool oldest_dup = i == 0 && duplicate_acks_ >= kDuplicateAcksBeforeResend &&
                            first_outstanding_seq() == static_cast<uint16_t>(ack_nr + 1) &&
                            (!out.fast_resent || now_us_ - out.sent_us >= rto_unfloored_us);
    if (!overtaken && !oldest_dup) continue;
    if (oldest_dup) duplicate_acks_ = 0;
    out.fast_resent = true;
    in_flight_ -= out.payload.size();
    out.need_resend = true;
    lost = true;
  }
  if (lost) on_loss();
}

void UtpConnection::sample_rtt(const Outgoing& out) {
  // libutp's filter (RFC 6298 shape, in ms), fed only by packets never resent (Karn).
  if (out.transmissions != 1) return;
  const uint32_t sample = static_cast<uint32_t>((now_us_ - out.sent_us) / 1000);
  if (rtt_ms_ == 0) {
    rtt_ms_ = sample;
    rtt_var_ms_ = sample / 2;
  } else {
    const int delta = static_cast<int>(rtt_ms_) - static_cast<int>(sample);
    rtt_var_ms_ = static_cast<uint32_t>(static_cast<int>(rtt_var_ms_) +
                                        (std::abs(delta) - static_cast<int>(rtt_var_ms_)) / 4);
    rtt_ms_ = rtt_ms_ - rtt_ms_ / 8 + sample / 8;
  }
  rto_ms_ = std::max(rtt_ms_ + rtt_var_ms_ * 4, kMinRtoMs);
}

bool UtpConnection::process_acks(const UtpPacket& packet) {
  const uint16_t oldest = first_outstanding_seq();
  const size_t acks = distance(static_cast<uint16_t>(oldest - 1), packet.ack_nr);
  size_t acked_bytes = 0;
  auto take = [&](Outgoing& out) {
    if (out.acked) return;
    acked_bytes += out.payload.size();
    acknowledge(out);
  };
  const bool progress = acks > 0 && acks <= outstanding_.size();
  if (progress) {
    // Only the newest packet of a cumulative ack measures the RTT, and only when no resent
    // packet filled a hole before it: the others arrived long before this ack. (libutp samples
    // every packet an ack covers; doing so here let the RTO grow to minutes at 10% loss.)
    bool resent = false;
    for (size_t i = 0; i < acks; ++i) resent = resent || outstanding_[i].transmissions > 1;
    if (!resent && !outstanding_[acks - 1].acked) sample_rtt(outstanding_[acks - 1]);
    for (size_t i = 0; i < acks; ++i) take(outstanding_[i]);
  }
  if (packet.selective_ack) {
    const Bytes& mask = *packet.selective_ack;
    for (size_t bit = 0; bit < mask.size() * 8; ++bit) {
      if (!(mask[bit / 8] & (1u << (bit % 8)))) continue;
      const size_t index = distance(oldest, static_cast<uint16_t>(packet.ack_nr + 2 + bit));
      if (index >= outstanding_.size() || outstanding_[index].acked) continue;
      // When the cumulative ack moved, the selective ACK's reach moved too and may reveal
      // packets received long ago; only a standing hole makes a new bit a fresh arrival.
      if (!progress) sample_rtt(outstanding_[index]);
      take(outstanding_[index]);
    }
  }
  while (!outstanding_.empty() && outstanding_.front().acked) outstanding_.pop_front();
  if (progress) {
    retransmit_count_ = 0;
    duplicate_acks_ = 0;
    retransmit_timeout_ms_ = rto_ms_;
    rto_deadline_us_ = outstanding_.empty() ? 0 : now_us_ + uint64_t{rto_ms_} * 1000;
  } else if (packet.type == UtpType::State && packet.payload.empty() && !outstanding_.empty() &&
             packet.ack_nr == last_peer_ack_) {
    ++duplicate_acks_;
  }
  last_peer_ack_ = packet.ack_nr;
  if (acked_bytes > 0 && packet.timestamp_diff_us != 0) {
    apply_ledbat(acked_bytes, packet.timestamp_diff_us);
  }
  fast_retransmit(packet.ack_nr);
  return progress;
}

void UtpConnection::deliver_in_order() {
  for (;;) {
    const uint16_t next = static_cast<uint16_t>(ack_nr_ + 1);
    if (fin_received_ && next == fin_seq_) {
      ack_nr_ = next;
      if (!end_delivered_) {
        end_delivered_ = true;
        events_.end();
      }
      return;
    }
    auto it = reorder_.find(next);
    if (it == reorder_.end()) return;
    Bytes payload = std::move(it->second);
    reorder_bytes_ -= payload.size();
    reorder_.erase(it);
    ack_nr_ = next;
    if (!payload.empty()) events_.data(payload);
  }
}

void UtpConnection::receive_payload(const UtpPacket& packet) {
  const uint16_t ahead = distance(static_cast<uint16_t>(ack_nr_ + 1), packet.seq_nr);
  if (ahead >= kUtpMaxReorder) {
    // An old duplicate is acknowledged again (its ack may have been lost); anything else is
    // too far ahead to hold and is dropped.
    if (ahead >= 0x10000 - kUtpMaxReorder) send_state(ack_nr_);
    return;
  }
  const bool past_fin = fin_received_ && distance(static_cast<uint16_t>(ack_nr_ + 1), fin_seq_) < ahead;
  if (end_delivered_ || past_fin) return;
  // A packet that fills a hole is often a retransmission the remote waits on: its sender is
  // stalled (utp-native then backs off in RTOs that double), so the ack goes twice.
  const bool fills_hole = ahead == 0 && (!reorder_.empty() || fin_received_);
  if (packet.type == UtpType::Fin) {
    fin_received_ = true;
    fin_seq_ = packet.seq_nr;
  } else if (ahead == 0) {
    ack_nr_ = packet.seq_nr;
    if (!packet.payload.empty()) events_.data(packet.payload);
    if (state_ == UtpState::Failed) return;
  } else if (!reorder_.contains(packet.seq_nr) &&
             reorder_bytes_ + packet.payload.size() <= config_.receive_window) {
    reorder_bytes_ += packet.payload.size();
    reorder_.emplace(packet.seq_nr, packet.payload);
  }
  deliver_in_order();
  if (state_ == UtpState::Failed) return;
  send_state(ack_nr_);
  if (fills_hole) send_state(ack_nr_);
}

void UtpConnection::on_packet(const UtpPacket& packet, uint64_t now_us) {
  now_us_ = now_us;
  if (state_ == UtpState::Closed && (packet.type == UtpType::Fin || packet.type == UtpType::Data)) {
    // Lingering: our acknowledgement of the remote's FIN was lost, so it resends its oldest
    // unacknowledged packet.
    send_state(ack_nr_);
    enter_closed();
    return;
  }
  if (state_ == UtpState::Closed || state_ == UtpState::Failed) return;
  if (packet.type == UtpType::Reset) {
    if (only_fin_unacknowledged()) {
      enter_closed();
    } else {
      fail(Error::unavailable("utp connection {}: reset by the remote", receive_id_));
    }
    return;
  }
  if (packet.type == UtpType::Syn) {
    // Our STATE was lost and the initiator asks again.
    if (state_ == UtpState::SynReceived && packet.seq_nr == ack_nr_) send_state(ack_nr_);
    return;
  }
  // A packet acknowledging what was never sent is dropped (libutp's guard against spoofing). One
  // whose ack is merely old, overtaken on the way by a later packet, still delivers its payload
  // and its ack is ignored: libutp drops those too, which on a reordering path costs RTOs.
  const uint16_t behind = distance(packet.ack_nr, static_cast<uint16_t>(seq_nr_ - 1));
  const bool stale_ack = behind > outstanding_.size() + kAckAllowedWindow;
  if (stale_ack && (state_ != UtpState::Connected || behind >= 0x8000)) return;
  if (!stale_ack) {
    reply_micro_ = static_cast<uint32_t>(now_us) - packet.timestamp_us;
    peer_window_ = packet.wnd_size;
  }
  if (state_ == UtpState::SynSent) {
    ack_nr_ = static_cast<uint16_t>(packet.seq_nr - 1);
    state_ = UtpState::Connected;
    process_acks(packet);
    events_.connected();
    if (state_ == UtpState::Failed) return;
  } else if (!stale_ack) {
    if (state_ == UtpState::SynReceived) state_ = UtpState::Connected;
    process_acks(packet);
  }
  if (packet.type == UtpType::Data || packet.type == UtpType::Fin) {
    receive_payload(packet);
    if (state_ == UtpState::Failed) return;
  }
  flush();
  maybe_closed();
}

void UtpConnection::on_timeout() {
  // The remote's answer to our SYN never came back (libutp destroys such sockets silently; we
  // report it so the endpoint can forget the connection).
  if (state_ == UtpState::SynReceived) {
    fail(Error{Errc::Timeout, fmt::format("utp connection {}: no answer to the accept", receive_id_)});
    return;
  }
  const uint32_t limit = state_ == UtpState::SynSent ? kMaxSynTimeouts : kMaxTimeouts;
  if (retransmit_count_ >= limit && only_fin_unacknowledged()) {
    enter_closed();
    return;
  }
  if (retransmit_count_ >= limit) {
    fail(Error{Errc::Timeout, fmt::format("utp connection {}: {} consecutive timeouts", receive_id_,
                                          retransmit_count_ + 1)});
    return;
  }
  retransmit_timeout_ms_ *= 2;
  rto_deadline_us_ = now_us_ + uint64_t{retransmit_timeout_ms_} * 1000;
  duplicate_acks_ = 0;
  // Nothing in flight although the window allows it: the socket was idle, decay gently.
  if (in_flight_ == 0 && max_window_ > kUtpMaxPayload) {
    max_window_ = std::max(max_window_ * 2 / 3, kUtpMaxPayload);
  } else {
    max_window_ = kUtpMaxPayload;
    slow_start_ = true;
  }
  for (Outgoing& out : outstanding_) {
    if (out.acked || out.need_resend || out.transmissions == 0) continue;
    out.need_resend = true;
    in_flight_ -= out.payload.size();
  }
  if (outstanding_.empty()) {
    rto_deadline_us_ = 0;
    return;
  }
  ++retransmit_count_;
  transmit(0);
}

void UtpConnection::tick(uint64_t now_us) {
  now_us_ = now_us;
  if (state_ == UtpState::Closed || state_ == UtpState::Failed) return;
  if (rto_deadline_us_ != 0 && now_us_ >= rto_deadline_us_) {
    on_timeout();
    if (state_ == UtpState::Failed) return;
  }
  flush();
  // libutp's keepalive is a STATE acking one less than it could, which the remote ignores.
  if (state_ == UtpState::Connected && !fin_sent_ && now_us_ - last_sent_us_ >= kUtpKeepaliveUs) {
    send_state(static_cast<uint16_t>(ack_nr_ - 1));
  }
}

}  // namespace hypermount::swarm
