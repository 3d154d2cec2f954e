#include "cli/remote_drive.hpp"

#include "util/log.hpp"

#include <filesystem>

namespace hypermount::cli {

RemoteDrive::RemoteDrive() { uv_loop_init(&loop_); }

RemoteDrive::~RemoteDrive() {
  shutdown();
  // Let the close callbacks of what was shut down run, then release the loop's own memory.
  for (int i = 0; i < 16 && uv_loop_close(&loop_) == UV_EBUSY; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
}

void RemoteDrive::shutdown() {
  if (!replicator_) return;
  replicator_.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
}

void RemoteDrive::close_peers() {
  if (redial_timer_ != nullptr) {
    uv_timer_stop(redial_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(redial_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    redial_timer_ = nullptr;
  }
  if (replicator_) replicator_->close_all();
}

void RemoteDrive::keep_peers_connected() {
  if (!replicator_ || redial_timer_ != nullptr) return;
  redial_timer_ = new uv_timer_t;
  uv_timer_init(&loop_, redial_timer_);
  redial_timer_->data = this;
  uv_timer_start(redial_timer_, [](uv_timer_t* t) { static_cast<RemoteDrive*>(t->data)->redial_lost_peers(); },
                 kRedialMs, kRedialMs);
}

void RemoteDrive::redial_lost_peers() {
  for (size_t i = 0; i < peers_.size(); ++i) {
    PeerSlot& slot = peers_[i];
    if (slot.dialing || (slot.id && replicator_->has_peer(*slot.id))) continue;
    slot.id.reset();
    if (auto s = dial(i); !s) log::debug("cli", "peer {}: {}", slot.address, s.error().to_string());
  }
}

Status RemoteDrive::dial(size_t index) {
  HM_TRY_ASSIGN(sockaddr_in address, wire::parse_host_port(peers_[index].address));
  peers_[index].dialing = true;
  return wire::dial_tcp(&loop_, address, [this, index](Result<wire::StreamHandle> s) {
    PeerSlot& slot = peers_[index];
    slot.dialing = false;
    if (!s) {
      slot.failure = s.error().to_string();
      // Said once; the redial timer keeps trying quietly.
      if (redial_timer_ == nullptr) log::warn("cli", "peer {}: {}", slot.address, s.error().to_string());
      return;
    }
    if (!replicator_) return;  // shut down while dialling
    auto added = replicator_->add_stream(std::move(*s), crypto::NoiseRole::Initiator, protocol_);
    if (!added) {
      log::warn("cli", "peer {}: {}", slot.address, added.error().to_string());
      return;
    }
    slot.id = *added;
    timed_out_.clear();  // this peer may have what the others lacked
    log::debug("cli", "peer {}: connected", slot.address);
  });
}

Status RemoteDrive::open(const crypto::PublicKey& key, const RemoteOptions& options) {
  fetch_timeout_ = options.fetch_timeout;
  // Without peers nothing could be fetched into a new store: do not leave one behind.
  if (options.peers.empty() && !std::filesystem::is_directory(options.store)) {
    return Error::not_found("no store folder {}{}", options.store, options.no_data_hint);
  }
  HM_TRY_ASSIGN(store_, corestore::Corestore::open(options.store));
  HM_TRY_ASSIGN(drive_, drive::Drive::open(*store_, key));
  if (!options.peers.empty()) {
    HM_TRY(connect_peers(options));
    return fetch_drive_header();
  }
  if (drive_->version() == 0) {
    return Error::not_found("drive {} has no local data in {}{}", to_hex(key), options.store,
                            options.no_data_hint);
  }
  return {};
}

RemoteDrive::Fetcher RemoteDrive::fetcher() {
  if (!replicator_) return {};
  return [this](const drive::MissingBlocks& missing, std::function<void(Status)> done) {
    struct Wait {
      size_t pending = 0;
      std::function<void(Status)> done;
      uv_timer_t* timer = nullptr;
      std::function<void()> on_timeout;
      void finish(Status s) {
        if (!done) return;
        auto d = std::move(done);
        done = nullptr;
        if (timer) {
          uv_timer_stop(timer);
          uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
          timer = nullptr;
        }
        d(std::move(s));
      }
    };
    auto wait = std::make_shared<Wait>();
    wait->done = std::move(done);
    auto request = [&](core::Core& core, uint64_t block) {
      ++wait->pending;
      auto id = replicator_->get(core, block, [wait](Result<Bytes> got) {
        if (!got) {
          wait->finish(got.error());
          return;
        }
        if (--wait->pending == 0) wait->finish({});
      });
      if (!id) wait->finish(id.error());
    };
    if (recently_timed_out(missing)) {
      wait->finish(Error{Errc::Timeout, "no peer delivered the block in time (a moment ago)"});
      return;
    }
    for (const auto& wanted : missing.cores) {
      // Cores of mounted drives (and hypercore mounts) join the replication when first needed;
      // metadata cores follow their writer's head, as the drive's own does.
      auto added = replicator_->add_core(*wanted.core, {.upload = true, .live = true, .follow_head = wanted.metadata});
      if (!added && added.error().code() != Errc::Exists) {
        wait->finish(added.error());
        return;
      }
      for (uint64_t block : wanted.blocks) request(*wanted.core, block);
    }
    if (wait->pending == 0) {
      wait->finish(Error::unavailable("nothing to fetch: the drive is not reachable"));
      return;
    }
    wait->timer = new uv_timer_t;
    uv_timer_init(&loop_, wait->timer);
    wait->timer->data = wait.get();
    wait->on_timeout = [this, missing] { note_timed_out(missing); };
    uv_timer_start(wait->timer, [](uv_timer_t* t) {
      auto* w = static_cast<Wait*>(t->data);
      if (w->on_timeout) w->on_timeout();
      w->finish(Error{Errc::Timeout, "no peer delivered the block in time"});
    }, static_cast<uint64_t>(fetch_timeout_ * 1000), 0);
  };
}

void RemoteDrive::note_timed_out(const drive::MissingBlocks& missing) {
  uint64_t now = uv_now(&loop_);
  if (timed_out_.size() > 4096) timed_out_.clear();
  for (const auto& wanted : missing.cores) {
    for (uint64_t block : wanted.blocks) {
      if (!wanted.core->has(block)) timed_out_[{wanted.core->key(), block}] = now;
    }
  }
}

bool RemoteDrive::recently_timed_out(const drive::MissingBlocks& missing) const {
  uint64_t now = uv_now(&loop_);
  bool any = false;
  for (const auto& wanted : missing.cores) {
    for (uint64_t block : wanted.blocks) {
      auto it = timed_out_.find({wanted.core->key(), block});
      if (it == timed_out_.end() || now - it->second > kRecentFailureMs) return false;
      any = true;
    }
  }
  return any;
}

Status RemoteDrive::fetch(const drive::MissingBlocks& missing) {
  if (!replicator_) return Error::unavailable("the blocks are not local and no peer is given");
  std::optional<Status> outcome;
  fetcher()(missing, [&outcome](Status s) { outcome = std::move(s); });
  while (!outcome && uv_run(&loop_, UV_RUN_ONCE) != 0) {
  }
  if (!outcome) return Error::unavailable("no peer answered");
  return *outcome;
}

Status RemoteDrive::connect_peers(const RemoteOptions& options) {
  wire::ReplicatorOptions replicator_options;
  replicator_ = std::make_unique<wire::Replicator>(&loop_, replicator_options);
  HM_TRY(replicator_->add_core(drive_->metadata(), {.upload = true, .live = true, .follow_head = true}));
  protocol_ = options.protocol;
  for (const std::string& peer : options.peers) {
    PeerSlot slot;
    slot.address = peer;
    peers_.push_back(std::move(slot));
  }
  for (size_t i = 0; i < peers_.size(); ++i) HM_TRY(dial(i));
  return {};
}

// Fetches block 0 of the metadata core (naming the content core), then reopens the drive.
// (A store that has block 0 already knows the content core; it is replicated all the same.)
Status RemoteDrive::fetch_drive_header() {
  if (drive_->content() == nullptr) {
    drive::MissingBlocks header;
    HM_TRY_ASSIGN(auto metadata, store_->get(drive_->key()));
    header.add(metadata, 0, true);
    HM_TRY(await_a_peer());
    HM_TRY(fetch(header));
    HM_TRY_ASSIGN(drive_, drive::Drive::open(*store_, drive_->key()));
    if (drive_->content() == nullptr) return Error::corrupt("drive header names no content core");
  }
  return replicator_->add_core(*drive_->content(), {.upload = true, .live = true});
}

Status RemoteDrive::await_a_peer() {
  auto connected = [this] {
    for (const PeerSlot& slot : peers_) {
      if (slot.id && replicator_->has_peer(*slot.id)) return true;
    }
    return false;
  };
  auto dialing = [this] {
    for (const PeerSlot& slot : peers_) {
      if (slot.dialing) return true;
    }
    return false;
  };
  bool expired = false;
  uv_timer_t deadline;
  uv_timer_init(&loop_, &deadline);
  deadline.data = &expired;
  uv_timer_start(&deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
                 static_cast<uint64_t>(fetch_timeout_ * 1000), 0);
  while (!connected() && dialing() && !expired) uv_run(&loop_, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);  // the close callback, before `deadline` goes out of scope
  if (connected()) return {};
  std::string failures;
  for (const PeerSlot& slot : peers_) {
    std::string why = slot.dialing           ? fmt::format("no answer in {} s", fetch_timeout_)
                      : slot.failure.empty() ? "connection closed"
                                             : slot.failure;
    failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", slot.address, why);
  }
  return Error::unavailable("no peer reachable ({})", failures);
}

}  // namespace hypermount::cli
