// The connections of a node to the peers it was given (HOST:PORT, `peer=` / `--peer`): dialled
// into the replicator, redialled with a fixed period once lost. Loop thread only.
#pragma once

#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
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
  // Runs the loop until one peer is connected or every dial has ended (at most `timeout_ms`);
  // Unavailable naming each peer's failure if none could be reached.
  Status await_a_peer(uint64_t timeout_ms);
  bool any_connected() const;
  // From now on, dials again every kRedialMs each peer whose connection failed or is gone, so
  // that a long-running user (a mount) recovers when peers return. Until close().
  void keep_connected();
  // Stops redialling and closes every peer connection.
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
  uv_timer_t* redial_timer_ = nullptr;  // freed in its close callback
  bool closed_ = false;
  // Dials finish after the set may be gone (a command ends while one is under way): their
  // callbacks hold this and do nothing once it has expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hypermount::node
