// A drive read from the store and, given peers, from the network on demand: the loop, the
// store, the drive (and an optional checkout of it), the replicator, the peer set and the
// fetcher. Shared by `mount` (asynchronous: the FUSE backend runs operations with fetcher())
// and the `drive` commands (synchronous: run() spins the loop). Main thread only.
#pragma once

#include "drive/drive.hpp"
#include "node/fetch_loop.hpp"
#include "node/fetcher.hpp"
#include "node/peer_set.hpp"
#include "swarm/dht_socket.hpp"
#include "swarm/mdns.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::node {

struct SessionOptions {
  std::string store;                // the store folder
  std::vector<std::string> peers;   // HOST:PORT each; none (and no listen) means local data only
  std::string listen;               // HOST:PORT to accept peers on (port 0: any); none: no listener
  // LAN discovery (multicast DNS): nullopt off; "" on every interface; else an interface's IPv4.
  // The drive is looked up when it is not writable here, and announced while listening.
  std::optional<std::string> mdns;
  // DHT discovery (hyperswarm 2): its bootstrap nodes, IPv4:PORT each; none: off. The drive is
  // looked up when it is not writable here, and announced while listening (UDP on the TCP
  // listener's port number).
  std::vector<std::string> bootstrap;  // HOST:PORT, names looked up when the DHT starts
  bool bootstrap_strict = false;       // a node that cannot be looked up fails the open
  wire::ProtocolVersion protocol = wire::ProtocolVersion::Auto;
  double fetch_timeout = 30.0;      // seconds a fetch may wait without any block arriving
  std::string no_data_hint;         // appended to NotFound when there are no peers and no data
};

class DriveSession {
 public:
  DriveSession();
  ~DriveSession();
  DriveSession(const DriveSession&) = delete;
  DriveSession& operator=(const DriveSession&) = delete;

  // Opens the store and the drive `key`. With peers: dials them and fetches metadata block 0
  // (which names the content core), then reopens the drive so that it knows its content core;
  // Unavailable at once when that block is needed and no peer can be dialled.
  // Without peers the drive must have local data (NotFound otherwise). With `listen`, peers
  // that connect are served whatever the store holds; the port is then listening_port().
  Status open(const crypto::PublicKey& key, const SessionOptions& options);
  std::optional<uint16_t> listening_port() const { return listening_port_; }
  // Makes the view at `version` the active drive (the base drive stays open under it).
  void checkout(uint64_t version) { view_ = drive_->checkout(version); }

  uv_loop_t* loop() { return &loop_; }
  corestore::Corestore& store() { return *store_; }
  drive::Drive& drive() { return *drive_; }
  // The drive the operations work on: the checkout if any, else the drive.
  drive::Drive& active() { return view_ ? *view_ : *drive_; }
  wire::Replicator* replicator() { return replicator_.get(); }
  // Null without peers.
  Fetcher* fetcher() { return fetcher_.get(); }

  // Runs `op` (a restartable drive operation returning Result<T>, e.g. a lambda over active())
  // with run_fetching, spinning the loop until it is done.
  template <typename Op>
  auto run(Op&& op) -> decltype(op()) {
    return run_with(std::forward<Op>(op), [this]() -> const drive::MissingBlocks& { return active().missing(); });
  }
  // The same for an operation whose missing blocks `missing()` names.
  template <typename Op>
  auto run_with(Op&& op, std::function<const drive::MissingBlocks&()> missing) -> decltype(op()) {
    using R = decltype(op());
    std::optional<R> outcome;
    run_fetching<typename ResultValue<R>::type>(fetcher_.get(), std::function<R()>(std::forward<Op>(op)),
                                                 std::move(missing), [&outcome](R r) { outcome.emplace(std::move(r)); });
    while (!outcome && uv_run(&loop_, UV_RUN_ONCE) != 0) {
    }
    if (!outcome) return Error::unavailable("no peer answered");
    return std::move(*outcome);
  }

  // From now on, lost peers are dialled again (PeerSet::keep_connected).
  void keep_peers_connected();
  // Closes every peer connection, stops redialling and leaves the LAN (the loop then runs out
  // of work).
  void close_peers();
  // Drops the network side and runs what its closing left on the loop once (the destructor
  // does this too).
  void shutdown();

 private:
  template <typename R>
  struct ResultValue;
  template <typename T>
  struct ResultValue<Result<T>> {
    using type = T;
  };

  Status fetch_drive_header(uint64_t timeout_ms);
  // Joins the LAN: looks the drive up, announces it while listening.
  Status start_mdns(const std::string& interface, bool look_up);
  // Joins the DHT through `bootstrap`: looks the drive up, announces it while listening.
  Status start_dht(const SessionOptions& options, bool look_up);

  // Destroyed last member first: the network side, then the view before the drive, the drive
  // before the store, the loop last.
  uv_loop_t loop_{};
  std::unique_ptr<corestore::Corestore> store_;
  std::unique_ptr<drive::Drive> drive_;
  std::unique_ptr<drive::Drive> view_;
  std::unique_ptr<wire::Replicator> replicator_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<PeerSet> peers_;
  std::optional<uint16_t> listening_port_;
  std::unique_ptr<swarm::Mdns> mdns_;
  std::unique_ptr<swarm::DhtSocket> dht_;
  std::string dht_failure_;  // why the last DHT round failed (none answered...), for messages
};

}  // namespace hypermount::node
