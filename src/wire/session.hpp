// One replication stream's protocol engine (handshake, XSalsa20, framing, channels), with no
// I/O and no timers: fed received bytes, it yields bytes to send and decoded events.
// Owned by one connection; not thread-safe, use from the loop thread.
#pragma once

#include "crypto/keys.hpp"
#include "crypto/noise_dh.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/channel_table.hpp"
#include "wire/frame_decoder.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"
#include "wire/transport_cipher.hpp"

#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace hypermount::wire {

using SessionOptions = HandshakeOptions;

// The handshake finished; transport messages flow from now on.
struct HandshakeCompleted {
  ProtocolVersion version = ProtocolVersion::V8;
  crypto::DhPublicKey remote_static_key{};
};

// The remote sent Open. If this side has not opened the feed (`local_id` empty) this is the
// reference's "discovery-key" event: answer with open(key) or close_discovery_key(dk), within
// 4 s for a v7 peer (wire.md §5.2). If it had opened, the capability has been verified.
struct RemoteOpened {
  crypto::DiscoveryKey discovery_key{};
  uint32_t remote_id = 0;
  std::optional<uint32_t> local_id;
};

// A message on a channel both sides have opened (`local_id` is this side's id for it), or a
// stream-level Options/Extension on channel 0 (`discovery_key` empty, `local_id` 0).
struct ChannelMessage {
  uint32_t local_id = 0;
  std::optional<crypto::DiscoveryKey> discovery_key;
  Message message;
};

// The remote closed the channel (or refused a feed this side opened). v8 peers reply Close{}
// at once for a channel still open locally; that is the caller's choice here.
struct ChannelClosed {
  crypto::DiscoveryKey discovery_key{};
  std::optional<uint32_t> local_id;
};

using SessionEvent = std::variant<HandshakeCompleted, RemoteOpened, ChannelMessage, ChannelClosed>;

class Session {
 public:
  // Starts the handshake: an initiator's message 1 is in take_output() right away.
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Feeds bytes received from the peer, in order, split anyhow. Error::protocol when the peer
  // must be dropped (bad handshake, garbage or oversized frame, undecodable message, invalid
  // capability); the session is then failed and every later call returns that error.
  Status receive(ByteView bytes);

  // Bytes to write to the peer, in order; the caller owns them. Empty when nothing is due.
  Bytes take_output();
  size_t output_size() const { return output_.size(); }
  // Events decoded since the last call, in order.
  std::vector<SessionEvent> take_events();

  // Sends Open for a feed on a fresh local id and returns the id. Before the handshake is done
  // the message is queued (its capability needs the session keys). If the remote already opened
  // the feed with a bad capability this sends Close{discoveryKey} instead and returns
  // Error::protocol. Error::exists if this side already opened the feed.
  Result<uint32_t> open(const crypto::PublicKey& feed_key);
  // Refuses (or closes before opening) a discovery key with Close{discoveryKey} on a fresh
  // local id, which is returned; forgets the channel.
  Result<uint32_t> close_discovery_key(const crypto::DiscoveryKey& discovery_key);
  // Sends any other message on a local channel id (0 for stream-level Options/Extension).
  // Close{} forgets the local side of the channel. Error::invalid for Open (use open()).
  Status send(uint32_t local_id, const Message& message);
  // Sends a keep-alive frame (a single encrypted 00); nothing before the handshake is done.
  Status send_keep_alive();

  bool handshake_finished() const { return transport_ != nullptr; }
  bool failed() const { return error_.has_value(); }
  // Valid once handshake_finished().
  const HandshakeResult& handshake() const { return handshake_->result(); }
  const ChannelTable& channels() const { return channels_; }
  uint64_t keep_alives_received() const { return decoder_.keep_alives(); }
  // Complete units received so far: handshake messages, frames and keep-alives. A peer that
  // sends bytes without completing one is not making progress (see ConnectionOptions).
  uint64_t units_received() const { return units_received_; }

  // Encrypts `plaintext` as it is, framing and all, and queues it: for tests that play a
  // hostile peer (oversized or never-finished frames). Nothing before the handshake is done.
  Status send_raw_for_test(ByteView plaintext);

 private:
  struct Transport;
  struct PendingSend {
    uint32_t local_id;
    Message message;
    std::optional<crypto::PublicKey> open_key;  // Open: capability computed when sent
  };

  Status fail(Error error);
  Status on_transport_bytes(ByteView bytes);
  Status on_frame(const RawFrame& frame);
  Status on_open(uint32_t remote_id, Open message);
  void on_close(uint32_t remote_id, const Close& message);
  void write_frame(uint32_t local_id, const Message& message);
  // Encrypts transport bytes and appends them to the output.
  void write_plain(ByteView bytes);
  void flush_pending();

  std::unique_ptr<HandshakeMachine> handshake_;
  std::unique_ptr<Transport> transport_;
  TransportFrameDecoder decoder_;
  Bytes plain_;  // the last read, decrypted
  ChannelTable channels_;
  std::vector<PendingSend> pending_;
  Bytes output_;
  std::vector<SessionEvent> events_;
  std::optional<Error> error_;
  uint64_t units_received_ = 0;
};

}  // namespace hypermount::wire
