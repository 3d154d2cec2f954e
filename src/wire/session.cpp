#include "wire/session.hpp"

#include "util/log.hpp"
#include "wire/capability.hpp"

#include <algorithm>

namespace hypermount::wire {
namespace {

std::optional<crypto::DiscoveryKey> to_discovery_key(ByteView bytes) {
  if (bytes.size() != crypto::kHashSize) return std::nullopt;
  crypto::DiscoveryKey key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

std::string short_hex(const crypto::DiscoveryKey& key) {
  return to_hex(ByteView(key.data(), 4));
}

}  // namespace

// The two XSalsa20 directions, created when the handshake finishes.
struct Session::Transport {
  StreamCipher send;
  StreamCipher receive;
};

Session::Session(SessionOptions options)
    : handshake_(std::make_unique<HandshakeMachine>(std::move(options))) {
  auto first = handshake_->start();
  if (!first) {
    (void)fail(first.error());
    return;
  }
  output_ = std::move(first).value();
}

Session::~Session() = default;

Status Session::fail(Error error) {
  if (!error_) {
    log::debug("wire", "dropping stream: {}", error.to_string());
    error_ = std::move(error);
  }
  return *error_;
}

Status Session::receive(ByteView bytes) {
  if (error_) return *error_;
  if (!transport_) {
    auto step = handshake_->receive(bytes);
    if (!step) return fail(step.error());
    units_received_ += step->messages;
    output_.insert(output_.end(), step->output.begin(), step->output.end());
    bytes = bytes.subspan(step->consumed);
    if (!handshake_->finished()) return {};
    const HandshakeResult& result = handshake_->result();
    transport_ = std::make_unique<Transport>(
        Transport{StreamCipher(result.keys.tx, result.local_nonce),
                  StreamCipher(result.keys.rx, result.remote_nonce)});
    events_.push_back(HandshakeCompleted{result.version, result.remote_static_key});
    flush_pending();
  }
  if (bytes.empty()) return {};
  return on_transport_bytes(bytes);
}

Status Session::on_transport_bytes(ByteView bytes) {
  // Decrypted into a buffer kept from read to read: the decoder copies out what it keeps.
  if (plain_.size() < bytes.size()) plain_.resize(bytes.size());
  std::span<uint8_t> plain = std::span(plain_).first(bytes.size());
  transport_->receive.apply(bytes, plain);
  const uint64_t keep_alives = decoder_.keep_alives();
  Status pushed = decoder_.push(plain, [this](const RawFrame& frame) {
    ++units_received_;
    return on_frame(frame);
  });
  units_received_ += decoder_.keep_alives() - keep_alives;
  if (!pushed) return fail(pushed.error());
  return {};
}

Status Session::on_frame(const RawFrame& frame) {
  auto type = static_cast<MessageType>(frame.type);
  if (frame.type > static_cast<uint8_t>(MessageType::Close) && type != MessageType::Extension) {
    log::trace("wire", "ignoring frame of unknown type {} on channel {}", frame.type,
               frame.channel);
    return {};
  }
  auto decoded = decode_body(type, frame.body);
  if (!decoded) {
    if (type == MessageType::Extension) return {};  // a bad id reaches no extension
    return fail(decoded.error());
  }
  Message message = std::move(decoded).value();
  switch (type) {
    case MessageType::Open:
      return on_open(frame.channel, std::get<Open>(std::move(message)));
    case MessageType::Close:
      on_close(frame.channel, std::get<Close>(message));
      return {};
    default:
      break;
  }
  Channel* channel = channels_.find_remote(frame.channel);
  if (channel == nullptr) {
    // Channel 0 without a remote channel 0 carries the stream-level extension messages.
    if (frame.channel == kStreamChannel &&
        (type == MessageType::Options || type == MessageType::Extension)) {
      events_.push_back(ChannelMessage{kStreamChannel, std::nullopt, std::move(message)});
    }
    return {};
  }
  // Messages for a feed this side has not opened are dropped, as the reference does.
  if (!channel->local_id) return {};
  events_.push_back(
      ChannelMessage{*channel->local_id, channel->discovery_key, std::move(message)});
  return {};
}

Status Session::on_open(uint32_t remote_id, Open message) {
  auto discovery_key = to_discovery_key(message.discovery_key);
  if (!discovery_key) {
    return fail(Error::protocol("Open with a discovery key of {} bytes",
                                message.discovery_key.size()));
  }
  Channel& channel = channels_.get_or_create(*discovery_key);
  channel.remote_capability = std::move(message.capability);
  channel.remote_id = remote_id;
  channels_.index_remote(channel);
  if (channel.local_id) {
    Capability expected = remote_capability(handshake_->result().keys, *channel.feed_key);
    if (!channel.remote_capability || !capability_matches(*channel.remote_capability, expected)) {
      return fail(Error::protocol("Invalid remote channel capability for {}",
                                  short_hex(*discovery_key)));
    }
  }
  events_.push_back(RemoteOpened{*discovery_key, remote_id, channel.local_id});
  return {};
}

void Session::on_close(uint32_t remote_id, const Close& message) {
  Channel* channel = channels_.find_remote(remote_id);
  if (channel == nullptr && message.discovery_key) {
    if (auto key = to_discovery_key(*message.discovery_key)) channel = channels_.find(*key);
  }
  if (channel == nullptr) return;
  events_.push_back(ChannelClosed{channel->discovery_key, channel->local_id});
  channels_.erase(channel->discovery_key);
}

Result<uint32_t> Session::open(const crypto::PublicKey& feed_key) {
  if (error_) return *error_;
  crypto::DiscoveryKey discovery_key = crypto::discovery_key(feed_key);
  Channel* existing = channels_.find(discovery_key);
  if (existing != nullptr && existing->local_id) {
    return Error::exists("channel for {} is already open", short_hex(discovery_key));
  }
  if (existing != nullptr && existing->remote_id && transport_) {
    Capability expected = remote_capability(handshake_->result().keys, feed_key);
    if (!existing->remote_capability ||
        !capability_matches(*existing->remote_capability, expected)) {
      HM_TRY(close_discovery_key(discovery_key));
      return Error::protocol("remote capability for {} is invalid; refused",
                             short_hex(discovery_key));
    }
  }
  Channel& channel = channels_.get_or_create(discovery_key);
  channel.local_id = channels_.allocate_local_id();
  channel.feed_key = feed_key;
  channels_.index_local(channel);
  Open message{Bytes(discovery_key.begin(), discovery_key.end()), std::nullopt};
  if (transport_) {
    Capability cap = capability(handshake_->result().keys, feed_key);
    message.capability = Bytes(cap.begin(), cap.end());
    write_frame(*channel.local_id, message);
  } else {
    pending_.push_back(PendingSend{*channel.local_id, std::move(message), feed_key});
  }
  return *channel.local_id;
}

Result<uint32_t> Session::close_discovery_key(const crypto::DiscoveryKey& discovery_key) {
  if (error_) return *error_;
  Channel* existing = channels_.find(discovery_key);
  if (existing != nullptr && existing->local_id) {
    return Error::invalid("channel {} is open: close it with Close{{}} on its id",
                          short_hex(discovery_key));
  }
  uint32_t id = channels_.allocate_local_id();
  Close message{Bytes(discovery_key.begin(), discovery_key.end())};
  if (transport_) {
    write_frame(id, message);
  } else {
    pending_.push_back(PendingSend{id, std::move(message), std::nullopt});
  }
  return id;
}

Status Session::send(uint32_t local_id, const Message& message) {
  if (error_) return *error_;
  if (std::holds_alternative<Open>(message)) {
    return Error::invalid("Open is sent with Session::open");
  }
  if (local_id > kMaxChannel) return Error::invalid("channel id {} is too large", local_id);
  if (transport_) {
    write_frame(local_id, message);
  } else {
    pending_.push_back(PendingSend{local_id, message, std::nullopt});
  }
  return {};
}

Status Session::send_keep_alive() {
  if (error_) return *error_;
  if (!transport_ || !pending_.empty()) return {};
  write_plain(keep_alive_frame());
  return {};
}

Status Session::send_raw_for_test(ByteView plaintext) {
  if (error_) return *error_;
  if (!transport_) return Error::invalid("raw bytes before the handshake is done");
  write_plain(plaintext);
  return {};
}

void Session::write_frame(uint32_t local_id, const Message& message) {
  const size_t start = output_.size();
  append_frame(output_, local_id, message);
  transport_->send.apply(std::span(output_).subspan(start));
}

void Session::write_plain(ByteView bytes) {
  const size_t start = output_.size();
  output_.insert(output_.end(), bytes.begin(), bytes.end());
  transport_->send.apply(std::span(output_).subspan(start));
}

void Session::flush_pending() {
  std::vector<PendingSend> pending = std::move(pending_);
  pending_.clear();
  for (PendingSend& item : pending) {
    if (item.open_key) {
      Capability cap = capability(handshake_->result().keys, *item.open_key);
      std::get<Open>(item.message).capability = Bytes(cap.begin(), cap.end());
    }
    write_frame(item.local_id, item.message);
  }
}

Bytes Session::take_output() { return std::exchange(output_, Bytes()); }

std::vector<SessionEvent> Session::take_events() { return std::exchange(events_, {}); }

}  // namespace hypermount::wire
