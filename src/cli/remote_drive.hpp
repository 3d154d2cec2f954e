// A drive read from the store and, given peers, from the network on demand: one libuv loop, the
// store, the drive (and an optional checkout of it), a replicator dialling the peers, and the
// fetcher that brings in the blocks a drive operation lacked (Drive::missing()). Shared by
// `mount` (asynchronous: the FUSE backend calls fetcher()) and the `drive` read commands
// (synchronous: run() spins the loop until the operation stops lacking blocks). Main thread only.
#pragma once

#include "drive/drive.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::cli {

struct RemoteOptions {
  std::string store;                // the store folder
  std::vector<std::string> peers;   // HOST:PORT each; none means local data only
  wire::ProtocolVersion protocol = wire::ProtocolVersion::Auto;
  double fetch_timeout = 30.0;      // seconds one fetch may take before Timeout
  std::string no_data_hint;         // appended to NotFound when there are no peers and no data
};

class RemoteDrive {
 public:
  // Asks the network for blocks an operation lacked; `done` runs on the loop thread once they
  // are local, or with the first failure (or Timeout).
  using Fetcher = std::function<void(const drive::MissingBlocks&, std::function<void(Status)> done)>;

  RemoteDrive();
  ~RemoteDrive();
  RemoteDrive(const RemoteDrive&) = delete;
  RemoteDrive& operator=(const RemoteDrive&) = delete;

  // Opens the store and the drive `key`. With peers: dials them and fetches metadata block 0
  // (which names the content core), then reopens the drive so that it knows its content core;
  // Unavailable at once when that block is needed and no peer can be dialled.
  // Without peers the drive must have local data (NotFound otherwise).
  Status open(const crypto::PublicKey& key, const RemoteOptions& options);
  // Makes the view at `version` the active drive (the base drive stays open under it).
  void checkout(uint64_t version) { view_ = drive_->checkout(version); }

  uv_loop_t* loop() { return &loop_; }
  corestore::Corestore& store() { return *store_; }
  drive::Drive& drive() { return *drive_; }
  // The drive the operations work on: the checkout if any, else the drive.
  drive::Drive& active() { return view_ ? *view_ : *drive_; }
  bool networked() const { return replicator_ != nullptr; }
  wire::Replicator* replicator() { return replicator_.get(); }

  // The asynchronous fetcher (empty without peers). It reads drive() when called, so it stays
  // valid across the reopen in open().
  Fetcher fetcher();
  // Fetches `missing`, running the loop until done. Unavailable without peers.
  Status fetch(const drive::MissingBlocks& missing);

  // Runs `op` (a restartable drive operation returning Result<T>, e.g. a lambda over active())
  // until it succeeds or fails with anything but Unavailable; after each Unavailable the blocks
  // active().missing() lists are fetched (at most kMaxRounds times).
  template <typename Op>
  auto run(Op&& op) -> decltype(op()) {
    for (int round = 0;; ++round) {
      auto result = op();
      if (result || result.error().code() != Errc::Unavailable || !replicator_ ||
          round >= kMaxRounds) {
        return result;
      }
      if (auto fetched = fetch(active().missing()); !fetched) return fetched.error();
    }
  }

  // From now on, dials again every kRedialMs each peer whose connection failed or is gone, so
  // that a long-running user (a mount) recovers when peers return. Until close_peers().
  void keep_peers_connected();
  // Closes every peer connection and stops redialling (the loop then runs out of work).
  void close_peers();
  // Drops the replicator and runs what its closing left on the loop once (the destructor
  // does this too).
  void shutdown();

  // A lookup crosses at most a few dozen trie nodes; more rounds than this means no progress.
  static constexpr int kMaxRounds = 64;
  static constexpr uint64_t kRedialMs = 2000;
  // A fetch of blocks that all timed out this recently fails at once (the kernel retries a
  // failed read-ahead as a plain read) until a peer connects again.
  static constexpr uint64_t kRecentFailureMs = 5000;

 private:
  struct PeerSlot {
    std::string address;  // HOST:PORT
    std::optional<wire::Replicator::PeerId> id;  // while connected
    bool dialing = false;
    std::string failure;  // why the last dial failed
  };

  Status connect_peers(const RemoteOptions& options);
  Status dial(size_t slot);
  void redial_lost_peers();
  Status fetch_drive_header();
  // Runs the loop until a dial succeeded or all have ended (at most fetch_timeout); Unavailable
  // naming each peer's failure if none could be reached.
  Status await_a_peer();
  void note_timed_out(const drive::MissingBlocks& missing);
  bool recently_timed_out(const drive::MissingBlocks& missing) const;

  // Destroyed last member first: the view before the drive, the drive before the store.
  uv_loop_t loop_{};
  std::unique_ptr<corestore::Corestore> store_;
  std::unique_ptr<drive::Drive> drive_;
  std::unique_ptr<drive::Drive> view_;
  std::unique_ptr<wire::Replicator> replicator_;
  double fetch_timeout_ = 30.0;
  wire::ProtocolVersion protocol_ = wire::ProtocolVersion::Auto;
  std::vector<PeerSlot> peers_;
  uv_timer_t* redial_timer_ = nullptr;  // freed in its close callback
  // (core key, block) -> loop time (ms) when a fetch of it timed out.
  std::map<std::pair<crypto::PublicKey, uint64_t>, uint64_t> timed_out_;
};

}  // namespace hypermount::cli
