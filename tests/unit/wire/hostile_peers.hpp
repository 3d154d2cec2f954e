// Hostile peers for the replicator tests, written at the wire level on a bare Connection: an
// uploader that tampers with, withholds or forks what it serves, and a scripted client.
// Test code only; loop thread.
#pragma once

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "crypto/noise_dh.hpp"
#include "wire/stream_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <functional>
#include <memory>
#include <set>
#include <variant>
#include <vector>

namespace hypermount::test {

// Options of a protocol v8 connection with a fresh static key.
inline wire::ConnectionOptions v8_options(crypto::NoiseRole role) {
  wire::ConnectionOptions options;
  options.session.role = role;
  options.session.version = wire::ProtocolVersion::V8;
  options.session.static_key = crypto::random_dh_key_pair();
  return options;
}

// BadHash and BadSignature tamper with the Data they serve; Silent never answers a Request;
// Fork serves its own core, which the writer's key signed too (a second tree for the same log),
// with full proofs (every sibling and root, as if the requester had none).
enum class EvilMode { BadHash, BadSignature, Silent, Fork };

// An uploader listening on 127.0.0.1: opens the feed the remote opens, answers Want with a Have
// of its whole log and Requests as its mode says.
class EvilServer : public wire::ConnectionHandler {
 public:
  EvilServer(uv_loop_t* loop, core::Core& core, EvilMode mode) : loop_(loop), core_(core), mode_(mode) {
    auto address = wire::parse_host_port("127.0.0.1:0");
    REQUIRE(address.ok());
    auto listener = wire::TcpListener::listen(loop, *address, [this](wire::StreamHandle s) {
      connection_ = std::make_unique<wire::Connection>(loop_, std::move(s),
                                                       v8_options(crypto::NoiseRole::Responder), *this);
      REQUIRE(connection_->start().ok());
    });
    REQUIRE(listener.ok());
    listener_ = std::move(*listener);
  }
  uint16_t port() const { return listener_->port(); }
  bool closed() const { return closed_; }
  int requests() const { return requests_; }
  // Requests are queued, not answered, until release(): lets a test order a race.
  void hold() { held_ = true; }
  void release() {
    held_ = false;
    for (const wire::Request& r : queued_) answer(r);
    queued_.clear();
    if (!connection_ || closed_) return;
    auto flushed = connection_->flush();
    (void)flushed;
  }
  // Answers the oldest held request only; false when none is held.
  bool release_one() {
    if (queued_.empty() || !connection_ || closed_) return false;
    answer(queued_.front());
    queued_.erase(queued_.begin());
    auto flushed = connection_->flush();
    (void)flushed;
    return true;
  }

  void on_session_events(wire::Connection& c) override {
    for (auto& event : c.session().take_events()) {
      if (auto* opened = std::get_if<wire::RemoteOpened>(&event)) {
        if (!opened->local_id) {
          auto id = c.session().open(core_.key());
          REQUIRE(id.ok());
          local_id_ = *id;
        }
      } else if (auto* m = std::get_if<wire::ChannelMessage>(&event)) {
        if (std::holds_alternative<wire::Want>(m->message)) {
          REQUIRE(c.session().send(local_id_, wire::Have{0, core_.length(), std::nullopt, std::nullopt}).ok());
        } else if (auto* r = std::get_if<wire::Request>(&m->message)) {
          ++requests_;
          if (held_) {
            queued_.push_back(*r);
          } else if (mode_ != EvilMode::Silent) {
            answer(*r);
          }
        }
      }
    }
    auto flushed = c.flush();
    (void)flushed;
  }
  void on_drained(wire::Connection&) override {}
  void on_closed(wire::Connection&, const Error&) override { closed_ = true; }

 private:
  void answer(const wire::Request& r) {
    std::set<uint64_t> remote_nodes;
    uint64_t digest = mode_ == EvilMode::Fork ? 0 : r.nodes.value_or(0);
    auto proof = core_.proof(r.index, digest, false, remote_nodes);
    REQUIRE(proof.ok());
    wire::Data data;
    data.index = r.index;
    auto value = core_.get(r.index);
    REQUIRE(value.ok());
    data.value = *value;
    if (mode_ == EvilMode::BadHash) (*data.value)[0] ^= 1;
    for (auto& n : proof->nodes) {
      data.nodes.push_back(wire::DataNode{n.index, Bytes(n.hash.begin(), n.hash.end()), n.size});
    }
    // A signature goes with a proof only to a requester that lacks the roots.
    if (proof->signature) data.signature = Bytes(proof->signature->begin(), proof->signature->end());
    if (mode_ == EvilMode::BadSignature) {
      REQUIRE(data.signature.has_value());
      (*data.signature)[10] ^= 0x40;
    }
    REQUIRE(connection_->session().send(local_id_, data).ok());
  }

  uv_loop_t* loop_;
  core::Core& core_;
  EvilMode mode_;
  std::unique_ptr<wire::TcpListener> listener_;
  std::unique_ptr<wire::Connection> connection_;
  uint32_t local_id_ = 0;
  bool closed_ = false;
  bool held_ = false;
  std::vector<wire::Request> queued_;
  int requests_ = 0;
};

// A client dialing 127.0.0.1:port (protocol v8) that runs `script` once the handshake is done
// and flushes what it queued; it counts channels the server closed and Data it received.
class HostileClient : public wire::ConnectionHandler {
 public:
  using Script = std::function<void(wire::Session&)>;
  HostileClient(uv_loop_t* loop, uint16_t port, Script script) : loop_(loop), script_(std::move(script)) {
    auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", port));
    REQUIRE(target.ok());
    REQUIRE(wire::dial_tcp(loop, *target, [this](Result<wire::StreamHandle> s) {
              REQUIRE(s.ok());
              connection_ = std::make_unique<wire::Connection>(
                  loop_, std::move(*s), v8_options(crypto::NoiseRole::Initiator), *this);
              REQUIRE(connection_->start().ok());
            }).ok());
  }
  bool ready() const { return ready_; }
  bool closed() const { return closed_; }
  int refused() const { return refused_; }
  int data() const { return data_; }
  // Queues more bytes or messages on the live session and flushes them; nothing once closed.
  void send(const Script& more) {
    if (!connection_ || closed_) return;
    more(connection_->session());
    auto flushed = connection_->flush();
    (void)flushed;
  }

  void on_session_events(wire::Connection& c) override {
    for (auto& event : c.session().take_events()) {
      if (std::holds_alternative<wire::HandshakeCompleted>(event)) {
        ready_ = true;
        script_(c.session());
      } else if (std::holds_alternative<wire::ChannelClosed>(event)) {
        ++refused_;
      } else if (auto* m = std::get_if<wire::ChannelMessage>(&event)) {
        if (std::holds_alternative<wire::Data>(m->message)) ++data_;
      }
    }
    auto flushed = c.flush();
    (void)flushed;
  }
  void on_drained(wire::Connection&) override {}
  void on_closed(wire::Connection&, const Error&) override { closed_ = true; }

 private:
  uv_loop_t* loop_;
  Script script_;
  std::unique_ptr<wire::Connection> connection_;
  bool ready_ = false;
  bool closed_ = false;
  int refused_ = 0;
  int data_ = 0;
};

}  // namespace hypermount::test
