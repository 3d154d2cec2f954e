#include "cli/seeder.hpp"

#include "cli/seed_list.hpp"
#include "cli/service_notify.hpp"
#include "cli/stop_signals.hpp"
#include "cli/store_args.hpp"
#include "node/trie_extension.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>

namespace hypermount::cli {

namespace {

// An event of the seeder: a line on standard output, or in the log when that is a file or syslog.
void say(const std::string& line) {
  if (log::on_stderr()) {
    print_line(line);
  } else {
    log::info("seed", "{}", line);
  }
}

}  // namespace

Result<std::unique_ptr<Seeder>> Seeder::open(SeederOptions options) {
  std::unique_ptr<Seeder> seeder(new Seeder(std::move(options)));
  HM_TRY_ASSIGN(seeder->store_, corestore::Corestore::open(seeder->options_.store_dir));
  return seeder;
}

Seeder::~Seeder() {
  if (set_watch_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(set_watch_), [](uv_handle_t* h) { delete reinterpret_cast<uv_fs_event_t*>(h); });
  }
  if (hangup_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(hangup_), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
    ignore_stop_signals();
  }
  lan_.reset();
  dht_.reset();
  node_.peers.reset();
  node_.replicator.reset();  // before the drives whose cores it borrows
  seeded_.clear();
}

Status Seeder::run(bool need_a_drive) {
  HM_TRY(start_serving());
  const std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  say(fmt::format("listening on {}:{}", host, port_));
  HM_TRY(start_discovery());
  HM_TRY_ASSIGN(std::vector<crypto::PublicKey> wanted, read_seed_list(options_.store_dir));
  apply(wanted);
  if (need_a_drive && seeded_.empty()) return Error::not_found("no drive left to seed");
  watch_set();
  watch_hangup();
  maybe_ready();
  uv_run(&node_.loop, UV_RUN_DEFAULT);
  notify_service("STOPPING=1");
  say(fmt::format("stopped: {} blocks ({} bytes) uploaded", node_.replicator->stats().blocks_uploaded,
                  node_.replicator->stats().bytes_uploaded));
  return {};
}

Status Seeder::start_serving() {
  node_.replicator = std::make_unique<wire::Replicator>(&node_.loop);
  for (auto& [key, seeded] : seeded_) {
    for (core::Core* core : {&seeded.drive->metadata(), seeded.drive->content()}) {
      HM_TRY(node_.replicator->add_core(*core, {.upload = true, .live = true}));
    }
    HM_TRY(node::answer_trie_extension_on(*node_.replicator, seeded.drive->metadata()));
  }
  node_.replicator->set_core_provider([this](const crypto::DiscoveryKey& dk) -> core::Core* {
    if (!serves(dk)) {
      log::debug("seed", "a peer asked for {}, which is not seeded", short_dk(dk));
      return nullptr;
    }
    auto core = store_->get_by_discovery_key(dk);
    return core ? core->get() : nullptr;
  });
  node_.replicator->set_on_change([this, peers = size_t{0}]() mutable {
    if (node_.replicator->peer_count() < peers) say(fmt::format("peer gone ({} connected)", node_.replicator->peer_count()));
    peers = node_.replicator->peer_count();
    update_status();
  });
  // The set listens over TCP (and uTP on the DHT socket) as protocol 8's responder; it dials
  // nobody.
  node_.peers = std::make_unique<node::PeerSet>(&node_.loop, *node_.replicator, wire::ProtocolVersion::V8,
                                                [this](const std::string& transport) {
    say(fmt::format("peer connected over {}, protocol 8 ({} connected)", transport, node_.replicator->peer_count()));
  });
  const std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  const std::string address = port_ == 0 ? options_.listen : fmt::format("{}:{}", host, port_);
  HM_TRY_ASSIGN(port_, node_.peers->listen(address, wire::ProtocolVersion::V8));
  return {};
}

Status Seeder::start_discovery() {
  if (!options_.bootstrap.empty()) {
    swarm::DhtConfig config;
    config.bootstrap = options_.bootstrap;
    HM_TRY_ASSIGN(dht_, swarm::DhtSocket::open(node_.loop, swarm::Ipv4Address{{0, 0, 0, 0}, port_}, std::move(config)));
    node_.peers->accept_utp(*dht_, wire::ProtocolVersion::V8);
  }
  if (options_.mdns != "off") {
    HM_TRY_ASSIGN(lan_, swarm::Mdns::start(&node_.loop, {.interface = options_.mdns == "on" ? "" : options_.mdns}, nullptr));
  }
  return {};
}

void Seeder::follow_set() {
  auto wanted = read_seed_list(options_.store_dir);
  if (!wanted) {
    log::warn("seed", "the seeding set is left as it was: {}", wanted.error().to_string());
    return;
  }
  apply(*wanted);
  maybe_ready();
}

void Seeder::apply(const std::vector<crypto::PublicKey>& wanted) {
  bool removed = false;
  for (auto it = seeded_.begin(); it != seeded_.end();) {
    if (std::find(wanted.begin(), wanted.end(), it->first) != wanted.end()) {
      ++it;
      continue;
    }
    const crypto::DiscoveryKey topic = it->second.topic;
    if (dht_) dht_->discovery().leave(topic);
    if (lan_) lan_->leave(topic);
    first_rounds_.erase(topic);
    say(fmt::format("{}: no longer seeded", short_dk(topic)));
    it = seeded_.erase(it);
    removed = true;
  }
  if (removed) {
    // Its cores leave the replicator only with the replicator: peers are dropped and dial again.
    node_.peers->close();
    node_.peers.reset();
    node_.replicator->close_all();
    node_.replicator.reset();
    if (auto s = start_serving(); !s) {
      log::error("seed", "serving again on port {}: {}", port_, s.error().to_string());
      node_.stop();
      return;
    }
    if (dht_) node_.peers->accept_utp(*dht_, wire::ProtocolVersion::V8);
  }
  for (const crypto::PublicKey& key : wanted) {
    if (!seeded_.contains(key)) add(key);
  }
  update_status();
}

void Seeder::add(const crypto::PublicKey& key) {
  const crypto::DiscoveryKey topic = crypto::discovery_key(key);
  auto drive = drive::Drive::open(*store_, key);
  if (!drive && drive.error().code() == Errc::Unavailable) {  // a mount has it open
    say(fmt::format("{}: left to the process that has it open ({})", short_dk(topic), drive.error().message()));
    return;
  }
  if (!drive) {
    log::warn("seed", "{}: not seeded: {}", short_dk(topic), drive.error().to_string());
    return;
  }
  if ((*drive)->content() == nullptr) {
    log::warn("seed", "{}: not seeded: no local data in {}", short_dk(topic), options_.store_dir);
    return;
  }
  for (core::Core* core : {&(*drive)->metadata(), (*drive)->content()}) {
    if (auto s = node_.replicator->add_core(*core, {.upload = true, .live = true}); !s) {
      log::warn("seed", "{}: not seeded: {}", short_dk(topic), s.error().to_string());
      return;
    }
  }
  if (auto s = node::answer_trie_extension_on(*node_.replicator, (*drive)->metadata()); !s) {
    log::warn("seed", "{}: not seeded: {}", short_dk(topic), s.error().to_string());
    return;
  }
  seeded_.emplace(key, Seeded{std::move(*drive), topic});
  say(fmt::format("{}: seeded", short_dk(topic)));
  announce(topic);
}

void Seeder::announce(const crypto::DiscoveryKey& topic) {
  if (dht_) {
    first_rounds_.insert(topic);
    dht_->discovery().join(topic, {.announce = true, .lookup = false, .announce_options = {}},
                           [](const swarm::FoundPeer&) {},  // a seeder dials nobody
                           [this, topic](Status round) {
                             say(fmt::format("{}: announced on the DHT{}", short_dk(topic),
                                             round ? "" : " (" + round.error().message() + ")"));
                             if (first_rounds_.erase(topic) > 0) maybe_ready();
                           });
  }
  if (lan_) {
    lan_->announce(topic, port_);
    say(fmt::format("{}: announced on the LAN", short_dk(topic)));
  }
}

bool Seeder::serves(const crypto::DiscoveryKey& dk) {
  auto holds = [&dk](drive::Drive& drive) {
    return drive.metadata().discovery_key() == dk || (drive.content() != nullptr && drive.content()->discovery_key() == dk);
  };
  for (auto& [key, seeded] : seeded_) {
    if (holds(*seeded.drive)) return true;
    auto mounts = seeded.drive->mounts(true);
    if (!mounts) continue;
    for (const drive::MountedDrive& mounted : *mounts) {
      if (crypto::discovery_key(mounted.key) == dk) return true;
      auto inner = drive::Drive::open(*store_, mounted.key);
      if (inner && holds(**inner)) return true;
    }
  }
  return false;
}

void Seeder::watch_set() {
  set_watch_ = new uv_fs_event_t;
  uv_fs_event_init(&node_.loop, set_watch_);
  set_watch_->data = this;
  int rc = uv_fs_event_start(set_watch_, [](uv_fs_event_t* handle, const char* filename, int, int status) {
    if (status == 0 && filename != nullptr && std::string_view(filename) == kSeedListFile) {
      static_cast<Seeder*>(handle->data)->follow_set();
    }
  }, options_.store_dir.c_str(), 0);
  if (rc != 0) log::warn("seed", "changes of the seeding set are not followed: {}", uv_strerror(rc));
}

void Seeder::watch_hangup() {
  hangup_ = new uv_signal_t;
  uv_signal_init(&node_.loop, hangup_);
  hangup_->data = this;
  uv_signal_start(hangup_, [](uv_signal_t* handle, int) {
    if (hangup_stops()) static_cast<Seeder*>(handle->data)->node_.stop();
  }, SIGHUP);
}

void Seeder::maybe_ready() {
  if (ready_ || !first_rounds_.empty()) return;
  ready_ = true;
  notify_service("READY=1");
  update_status();
}

void Seeder::update_status() {
  if (!ready_) return;
  std::string status = fmt::format("seeding {} drive{} on port {}, {} peer{} connected, {} blocks ({} bytes) uploaded",
                                   seeded_.size(), seeded_.size() == 1 ? "" : "s", port_,
                                   node_.replicator->peer_count(), node_.replicator->peer_count() == 1 ? "" : "s",
                                   node_.replicator->stats().blocks_uploaded, node_.replicator->stats().bytes_uploaded);
  if (status == status_) return;
  status_ = status;
  notify_service("STATUS=" + status);
}

}  // namespace hypermount::cli
