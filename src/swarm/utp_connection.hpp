// One uTP connection (libutp's dialect, swarm.md §10) as an I/O-free state machine: fed packets,
// ticks and user writes, it emits datagrams and stream events through callbacks. Loop thread only.
#pragma once

#include "swarm/utp_packet.hpp"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace hypermount::swarm {

// The caller ticks a connection about this often (libutp's 20 ms timer, swarm.md §10).
constexpr uint64_t kUtpTickUs = 20'000;
// Payload bytes per packet, keeping datagrams at or under 1400 bytes with a selective ACK.
constexpr size_t kUtpMaxPayload = 1400 - kUtpHeaderSize - 2 - kUtpMaxSelectiveAckBytes;
// LEDBAT's target queueing delay (libutp CCONTROL_TARGET).
constexpr uint32_t kUtpTargetDelayUs = 100'000;
// An idle connected socket sends a keepalive this often (libutp KEEPALIVE_INTERVAL).
constexpr uint64_t kUtpKeepaliveUs = 29'000'000;
// Packets sent and not yet acknowledged, and packets held out of order (libutp's buffer sizes).
constexpr size_t kUtpMaxOutstanding = 1024;
constexpr size_t kUtpMaxReorder = 1024;

struct UtpConfig {
  // Advertised receive window in bytes (libutp opt_rcvbuf: 1 MiB).
  size_t receive_window = size_t{1} << 20;
  // Bytes write() accepts that are not yet acknowledged (libutp opt_sndbuf: 1 MiB).
  size_t send_buffer = size_t{1} << 20;
};

// Callbacks run synchronously from inside on_packet, tick, write and close. `send` carries a
// datagram for the remote address; `data` is in-order stream bytes (valid during the call);
// `connected` fires once on the initiator when the SYN is answered; `end` once when the remote's
// FIN is reached; `error` once with Timeout or Unavailable (reset by peer), after which the
// connection is dead.
struct UtpEvents {
  std::function<void(Bytes datagram)> send;
  std::function<void()> connected;
  std::function<void(ByteView bytes)> data;
  std::function<void()> end;
  std::function<void(const Error& error)> error;
};

enum class UtpState { SynSent, SynReceived, Connected, Closed, Failed };

class UtpConnection {
 public:
  // Initiator: sends a SYN carrying `receive_id`; it sends with receive_id + 1 (swarm.md §10).
  static std::unique_ptr<UtpConnection> connect(uint16_t receive_id, uint16_t first_seq,
                                                UtpConfig config, UtpEvents events,
                                                uint64_t now_us);
  // Responder to `syn` (a SYN packet): receives on its conn_id + 1, sends with its conn_id, and
  // answers with a STATE at once. It may write immediately.
  static std::unique_ptr<UtpConnection> accept(const UtpPacket& syn, uint16_t first_seq,
                                               UtpConfig config, UtpEvents events,
                                               uint64_t now_us);
  UtpConnection(const UtpConnection&) = delete;
  UtpConnection& operator=(const UtpConnection&) = delete;

  // A packet whose conn_id is this connection's receive id (or a RESET for it).
  void on_packet(const UtpPacket& packet, uint64_t now_us);
  // Retransmission, congestion and keepalive timers; call every kUtpTickUs.
  void tick(uint64_t now_us);
  // Queues stream bytes and returns how many were taken (0 when the send buffer is full or the
  // connection is closing); call again after acknowledgements free space (writable_bytes).
  size_t write(ByteView bytes);
  // Sends a FIN after the queued bytes; reading goes on until the remote's FIN.
  void close();
  // Sends a RESET and kills the connection without an error callback.
  void reset();
  // Replaces the stream callbacks and keeps `send` (an endpoint hands accepted connections on).
  void set_events(UtpEvents events);

  UtpState state() const { return state_; }
  // Failed, or Closed and no longer re-acknowledging the remote's last packets (a closed
  // connection lingers so that a FIN whose acknowledgement was lost is acknowledged again).
  bool finished(uint64_t now_us) const;
  uint16_t receive_id() const { return receive_id_; }
  uint16_t send_id() const { return send_id_; }
  size_t writable_bytes() const;
  // Payload bytes sent and not yet acknowledged or declared lost.
  size_t bytes_in_flight() const { return in_flight_; }
  // The congestion window in bytes.
  size_t congestion_window() const { return max_window_; }

 private:
  struct Outgoing {
    UtpType type = UtpType::Data;
    Bytes payload;
    uint64_t sent_us = 0;
    uint32_t transmissions = 0;
    bool need_resend = false;
    bool acked = false;
    bool fast_resent = false;
  };

  UtpConnection(UtpConfig config, UtpEvents events, uint64_t now_us);

  uint16_t first_outstanding_seq() const;
  uint32_t advertised_window() const;
  UtpPacket header(UtpType type, uint16_t seq) const;
  void transmit(size_t index);
  void send_state(uint16_t ack_nr);
  void flush();
  void queue_packet(UtpType type, Bytes payload);
  void sample_rtt(const Outgoing& out);
  bool process_acks(const UtpPacket& packet);
  void acknowledge(Outgoing& out);
  void fast_retransmit(uint16_t ack_nr);
  void on_loss();
  void update_delay_base(uint32_t sample_us);
  void apply_ledbat(size_t acked_bytes, uint32_t delay_sample_us);
  void receive_payload(const UtpPacket& packet);
  void deliver_in_order();
  void on_timeout();
  void fail(Error error);
  void maybe_closed();
  bool only_fin_unacknowledged() const;
  void enter_closed();

  UtpConfig config_;
  UtpEvents events_;
  UtpState state_ = UtpState::SynSent;
  uint64_t now_us_;
  uint16_t receive_id_ = 0;
  uint16_t send_id_ = 0;
  uint16_t seq_nr_ = 0;  // next sequence number to send
  uint16_t ack_nr_ = 0;  // last in-order sequence number received
  uint32_t reply_micro_ = 0;

  // Sender: bytes not yet packetised, packets in flight (the front has first_outstanding_seq).
  std::deque<uint8_t> pending_;
  std::deque<Outgoing> outstanding_;
  size_t outstanding_bytes_ = 0;  // payload of unacknowledged packets, for the send buffer
  size_t in_flight_ = 0;
  size_t max_window_ = kUtpMaxPayload;
  size_t ssthresh_;
  bool slow_start_ = true;
  uint32_t peer_window_ = kUtpMaxPayload;
  uint16_t last_peer_ack_ = 0;
  uint32_t duplicate_acks_ = 0;
  uint64_t last_decay_us_ = 0;
  uint64_t last_sent_us_;

  // RTT and retransmission timeout in ms, as libutp keeps them.
  uint32_t rtt_ms_ = 0;
  uint32_t rtt_var_ms_ = 800;
  uint32_t rto_ms_ = 1000;
  uint32_t retransmit_timeout_ms_ = 1000;
  uint64_t rto_deadline_us_ = 0;  // 0: no timer
  uint32_t retransmit_count_ = 0;

  // One-way delay base: the minimum over the current minute and the 13 before (libutp history).
  std::array<uint32_t, 13> delay_history_{};
  size_t delay_history_at_ = 0;
  uint32_t delay_minute_min_ = 0;
  bool have_delay_ = false;
  uint64_t delay_minute_start_us_ = 0;

  // Receiver: out-of-order payloads by sequence number, and the remote's FIN.
  std::map<uint16_t, Bytes> reorder_;
  size_t reorder_bytes_ = 0;
  bool fin_received_ = false;
  uint16_t fin_seq_ = 0;
  bool end_delivered_ = false;

  bool close_requested_ = false;
  bool fin_sent_ = false;
  bool fin_acked_ = false;
  uint64_t linger_until_us_ = 0;
};

}  // namespace hypermount::swarm
