// The seeding service of one store: serves the drives of the store's seeding set (seed_list.hpp)
// to peers, announced on the DHT and the LAN, and follows changes of that set while it runs
// (it watches the store folder for the file). Main thread only.
#pragma once

#include "cli/peer_node.hpp"
#include "corestore/corestore.hpp"
#include "drive/drive.hpp"
#include "swarm/dht_socket.hpp"
#include "swarm/mdns.hpp"

#include <uv.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace hypermount::cli {

struct SeederOptions {
  std::string store_dir;
  std::string listen;                       // HOST:PORT, port 0: any
  std::vector<swarm::Ipv4Address> bootstrap;  // empty: no DHT
  std::string mdns;                         // "off", "on" (every interface) or an interface's IPv4
};

class Seeder {
 public:
  // Opens the store; the seeder does nothing until run().
  static Result<std::unique_ptr<Seeder>> open(SeederOptions options);
  ~Seeder();
  Seeder(const Seeder&) = delete;
  Seeder& operator=(const Seeder&) = delete;

  // Listens, seeds the set and announces it, then follows the set until SIGINT/SIGTERM (or
  // SIGHUP while logging to stderr). NotFound when `need_a_drive` and no drive of the set can
  // be seeded at the start (each one is left to a mount or lacks local data).
  Status run(bool need_a_drive);

 private:
  struct Seeded {
    std::unique_ptr<drive::Drive> drive;
    crypto::DiscoveryKey topic{};
  };

  explicit Seeder(SeederOptions options) : options_(std::move(options)) {}
  // Builds the replicator (every seeded drive's cores added) and listens on port_ (any port the
  // first time): a removed drive's cores are dropped only by building it again.
  Status start_serving();
  Status start_discovery();
  // Seeds what the remembered set holds now, drops what it no longer holds.
  void follow_set();
  void apply(const std::vector<crypto::PublicKey>& wanted);
  void add(const crypto::PublicKey& key);
  void announce(const crypto::DiscoveryKey& topic);
  // Whether a peer asking for `dk` gets it: the cores of the seeded drives and of the drives
  // mounted in them (from local blocks).
  bool serves(const crypto::DiscoveryKey& dk);
  void watch_set();
  void watch_hangup();
  void maybe_ready();
  void update_status();

  SeederOptions options_;
  std::unique_ptr<corestore::Corestore> store_;
  Node node_;  // after the store: the replicator goes before the cores it borrows
  std::map<crypto::PublicKey, Seeded> seeded_;
  std::unique_ptr<swarm::DhtSocket> dht_;
  std::unique_ptr<swarm::Mdns> lan_;
  uint16_t port_ = 0;
  std::set<crypto::DiscoveryKey> first_rounds_;  // topics whose first DHT announce is under way
  bool ready_ = false;
  std::string status_;  // the last STATUS= sent
  uv_fs_event_t* set_watch_ = nullptr;  // freed in its close callback
  uv_signal_t* hangup_ = nullptr;       // freed in its close callback
};

}  // namespace hypermount::cli
