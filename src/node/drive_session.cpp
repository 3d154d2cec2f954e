#include "node/drive_session.hpp"

#include "node/host.hpp"
#include "node/trie_extension.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "util/log.hpp"

#include <filesystem>

namespace hypermount::node {

DriveSession::DriveSession() { uv_loop_init(&loop_); }

DriveSession::~DriveSession() {
  shutdown();
  // The close callbacks of what was shut down run here, and so do the after-work callbacks of
  // blocks still hashed on the thread pool: a pool thread locks the loop's mutex once its work
  // is done, so the loop must outlive it (freeing it first aborted a sync stopped by SIGINT).
  // A handle nobody closed is closed here, so that the last run ends.
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_walk(&loop_, [](uv_handle_t* h, void*) {
    if (uv_is_closing(h) == 0) uv_close(h, nullptr);
  }, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void DriveSession::shutdown() {
  if (!replicator_) return;
  mdns_.reset();
  dht_.reset();
  peers_.reset();
  fetcher_.reset();
  replicator_.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
}

void DriveSession::close_peers() {
  mdns_.reset();  // leaves the LAN and the DHT: their sockets and timers no longer keep the
  dht_.reset();   // loop running
  if (peers_) peers_->close();
}

void DriveSession::keep_peers_connected() {
  if (peers_) peers_->keep_connected();
}

Status DriveSession::open(const crypto::PublicKey& key, const SessionOptions& options) {
  // Without peers (given or looked for) nothing could be fetched into a new store: do not leave
  // one behind.
  const bool discovering = options.mdns || !options.bootstrap.empty();
  if (options.peers.empty() && !discovering && !std::filesystem::is_directory(options.store)) {
    return Error::not_found("no store folder {}{}", options.store, options.no_data_hint);
  }
  HM_TRY_ASSIGN(store_, corestore::Corestore::open(options.store));
  HM_TRY_ASSIGN(drive_, drive::Drive::open(*store_, key));
  const bool look_up = discovering && !drive_->writable();
  if (options.peers.empty() && !look_up && drive_->version() == 0) {
    return Error::not_found("drive {} has no local data in {}{}", to_hex(key), options.store, options.no_data_hint);
  }
  if (options.peers.empty() && options.listen.empty() && !look_up) return {};
  const auto timeout_ms = static_cast<uint64_t>(options.fetch_timeout * 1000);
  replicator_ = std::make_unique<wire::Replicator>(&loop_, wire::ReplicatorOptions{});
  HM_TRY(replicator_->add_core(drive_->metadata(), {.upload = true, .live = true, .follow_head = true}));
  HM_TRY(answer_trie_extension_on(*replicator_, drive_->metadata(), [this, key = drive_->metadata().key()](std::vector<uint64_t> blocks) {
    if (fetcher_) fetcher_->cached(key, blocks);
  }));
  serve_store(*replicator_, *store_);  // a mount serves what it holds, as corestore does
  fetcher_ = std::make_unique<Fetcher>(&loop_, *replicator_, timeout_ms);
  peers_ = std::make_unique<PeerSet>(&loop_, *replicator_, options.protocol,
                                     [this](const std::string&) { fetcher_->forget_failures(); });
  if (!options.listen.empty()) {
    // A responder cannot tell the version from the first message: Auto listens as protocol 8.
    auto version = options.protocol == wire::ProtocolVersion::Auto ? wire::ProtocolVersion::V8 : options.protocol;
    HM_TRY_ASSIGN(listening_port_, peers_->listen(options.listen, version));
  }
  if (options.mdns && (look_up || listening_port_)) HM_TRY(start_mdns(*options.mdns, look_up));
  if (!options.bootstrap.empty() && (look_up || listening_port_)) HM_TRY(start_dht(options, look_up));
  if (options.peers.empty() && !look_up) {
    if (drive_->content() == nullptr) return {};  // nothing written yet: no content core
    return replicator_->add_core(*drive_->content(), {.upload = true, .live = true});
  }
  HM_TRY(peers_->dial_all(options.peers));
  return fetch_drive_header(timeout_ms);
}

Status DriveSession::start_dht(const SessionOptions& options, bool look_up) {
  swarm::DhtConfig config;  // ephemeral, as hyperswarm 2 starts
  HM_TRY_ASSIGN(config.bootstrap, swarm::resolve_nodes(options.bootstrap, options.bootstrap_strict));
  if (config.bootstrap.empty()) return {};  // none could be looked up (and that was said)
  // One port number for TCP and UDP, as hyperswarm binds them: peers that find our record dial
  // the port the DHT saw our datagrams come from.
  const swarm::Ipv4Address bind{{0, 0, 0, 0}, listening_port_.value_or(0)};
  HM_TRY_ASSIGN(dht_, swarm::DhtSocket::open(loop_, bind, std::move(config)));
  // A responder cannot tell the version from the first message: Auto accepts as protocol 8.
  peers_->accept_utp(*dht_, options.protocol == wire::ProtocolVersion::Auto ? wire::ProtocolVersion::V8 : options.protocol);
  if (look_up) peers_->set_discovering(true);
  swarm::JoinOptions join{.announce = listening_port_.has_value(), .lookup = look_up, .announce_options = {}};
  dht_->discovery().join(drive_->metadata().discovery_key(), join, [this](const swarm::FoundPeer& peer) {
    log::debug("node", "found a peer on the DHT: {}", peer.address.to_string());
    peers_->add_found(peer.address.to_string(), peer.referrer);
  }, [this](Status round) { dht_failure_ = round ? "" : round.error().message(); });
  return {};
}

Status DriveSession::start_mdns(const std::string& interface, bool look_up) {
  HM_TRY_ASSIGN(mdns_, swarm::Mdns::start(&loop_, {.interface = interface}, [this](const swarm::Mdns::Topic&,
                                                                                    const std::string& host,
                                                                                    uint16_t port) {
    log::debug("node", "found a peer on the LAN: {}:{}", host, port);
    peers_->add_found(fmt::format("{}:{}", host, port));
  }));
  // The drive's topic is its metadata core's discovery key, as hyperdrive joins it.
  const swarm::Mdns::Topic topic = drive_->metadata().discovery_key();
  if (look_up) {
    peers_->set_discovering(true);
    mdns_->lookup(topic);
  }
  if (listening_port_) mdns_->announce(topic, *listening_port_);
  return {};
}

// Fetches block 0 of the metadata core (naming the content core), then reopens the drive.
// (A store that has block 0 already knows the content core; it is replicated all the same.)
Status DriveSession::fetch_drive_header(uint64_t timeout_ms) {
  if (drive_->content() == nullptr) {
    drive::MissingBlocks header;
    HM_TRY_ASSIGN(auto metadata, store_->get(drive_->key()));
    header.add(metadata, 0, true);
    if (auto found = peers_->await_a_peer(timeout_ms); !found) {
      if (dht_failure_.empty()) return found;
      return Error::unavailable("{} (the DHT: {})", found.error().message(), dht_failure_);
    }
    HM_TRY(run_with([&]() -> Status {
      if (metadata->has(0)) return {};
      return Error::unavailable("metadata block 0 is not local");
    }, [&header]() -> const drive::MissingBlocks& { return header; }));
    HM_TRY_ASSIGN(drive_, drive::Drive::open(*store_, drive_->key()));
    if (drive_->content() == nullptr) return Error::corrupt("drive header names no content core");
  }
  return replicator_->add_core(*drive_->content(), {.upload = true, .live = true});
}

}  // namespace hypermount::node
