// The connections of a node, from every source: peers it was given (HOST:PORT, `peer=` /
// `--peer`, redialled once lost), peers accepted on a listening port, standard input/output.
#pragma once

#include "util/result.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::node {

class PeerSet {
 public:
  // The loop and the replicator must outlive the set. `on_connect` runs after each stream joins.
  PeerSet(uv_loop_t* loop, wire::Replicator& replicator, wire::ProtocolVersion protocol,
          std::function<void()> on_connect);
  ~PeerSet();
  PeerSet(const PeerSet&) = delete;
  PeerSet& operator=(const PeerSet&) = delete;

  // Dials every address (HOST:PORT) at once; InvalidArgument for an address that is not one.
  Status dial_all(const std::vector<std::string>& addresses);
  // Accepts connections on HOST:PORT (port 0: one the system picks) as Noise responder of
  // protocol `version`; returns the port. Until close().
  Result<uint16_t> listen(std::string_view address, wire::ProtocolVersion version);
  // Replicates with one peer over standard input and output (wire::take_stdio: process-wide,
  // at most once), as `role` of protocol `version`.
  Status attach_stdio(crypto::NoiseRole role, wire::ProtocolVersion version);
  // Runs the loop until one peer is connected or every dial has ended (at most `timeout_ms`);
  // Unavailable naming each peer's failure if none could be reached.
  Status await_a_peer(uint64_t timeout_ms);
  bool any_connected() const;
  // From now on, dials again every kRedialMs each peer whose connection failed or is gone, so
  // that a long-running user (a mount) recovers when peers return. Until close().
  void keep_connected();
  // Stops redialling and listening, and closes every peer connection.
  void close();

  static constexpr uint64_t kRedialMs = 2000;

 private:
  struct Slot {
    std::string address;  // HOST:PORT
    std::optional<wire::Replicator::PeerId> id;  // while connected
    bool dialing = false;
    std::string failure;  // why the last dial failed
  };

  Status dial(size_t slot);
  void redial_lost();
  bool any_dialing() const;

  uv_loop_t* loop_;
  wire::Replicator& replicator_;
  wire::ProtocolVersion protocol_;
  std::function<void()> on_connect_;
  std::vector<Slot> slots_;
  std::unique_ptr<wire::TcpListener> listener_;
  uv_timer_t* redial_timer_ = nullptr;  // freed in its close callback
  bool closed_ = false;
  // Dials finish after the set may be gone (a command ends while one is under way): their
  // callbacks hold this and do nothing once it has expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hypermount::node
