// `hypermount mount SOURCE DIR`: a drive as a folder. Runs the FUSE session and the replicator
// on one libuv loop; daemonises once the mount is up unless -f.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"
#include "fuse/drive_backend.hpp"
#include "fuse/fuse_mount.hpp"
#include "fuse/mount_options.hpp"
#include "util/log.hpp"
#include "wire/replicator.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <uv.h>

#include <climits>
#include <cstdlib>
#include <memory>

namespace hypermount::cli {

namespace {

// Everything one mount process owns, in destruction order (last member first).
struct MountProcess {
  uv_loop_t loop{};
  std::unique_ptr<corestore::Corestore> store;
  std::unique_ptr<drive::Drive> drive;
  std::unique_ptr<drive::Drive> view;  // the checkout when version= is given
  std::unique_ptr<wire::Replicator> replicator;
  std::unique_ptr<fuse::DriveBackend> backend;
  std::unique_ptr<fuse::FuseMount> mount;
  std::vector<uv_signal_t*> signals;
  int ready_fd = -1;  // the parent's pipe while daemonising

  drive::Drive& active() { return view ? *view : *drive; }
};

// Tells the waiting parent how mounting went (one byte: the exit status), once.
void report_ready(MountProcess& p, int status) {
  if (p.ready_fd < 0) return;
  uint8_t byte = static_cast<uint8_t>(status);
  [[maybe_unused]] ssize_t n = ::write(p.ready_fd, &byte, 1);
  ::close(p.ready_fd);
  p.ready_fd = -1;
}

void stop_signals(MountProcess& p) {
  for (uv_signal_t* s : p.signals) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
  p.signals.clear();
}

void watch_signals(MountProcess& p) {
  for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
    auto* s = new uv_signal_t;
    uv_signal_init(&p.loop, s);
    s->data = &p;
    uv_signal_start(s, [](uv_signal_t* h, int) {
      auto* proc = static_cast<MountProcess*>(h->data);
      if (proc->mount) proc->mount->stop();
    }, signum);
    p.signals.push_back(s);
  }
}

// Fetches the blocks a drive operation lacked, each through the replicator, failing with
// Timeout after `timeout_s`.
fuse::DriveBackend::Fetcher make_fetcher(MountProcess& p, double timeout_s) {
  return [&p, timeout_s](const drive::MissingBlocks& missing, std::function<void(Status)> done) {
    struct Wait {
      size_t pending = 0;
      std::function<void(Status)> done;
      uv_timer_t* timer = nullptr;
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
    auto request = [&](core::Core* core, uint64_t block) {
      if (core == nullptr) return;
      ++wait->pending;
      auto id = p.replicator->get(*core, block, [wait](Result<Bytes> got) {
        if (!got) {
          wait->finish(got.error());
          return;
        }
        if (--wait->pending == 0) wait->finish({});
      });
      if (!id) wait->finish(id.error());
    };
    for (uint64_t seq : missing.metadata) request(&p.drive->metadata(), seq);
    for (uint64_t block : missing.content) request(p.drive->content(), block);
    if (wait->pending == 0) {
      wait->finish(Error::unavailable("nothing to fetch: the drive is not reachable"));
      return;
    }
    wait->timer = new uv_timer_t;
    uv_timer_init(&p.loop, wait->timer);
    wait->timer->data = wait.get();
    uv_timer_start(wait->timer, [](uv_timer_t* t) {
      static_cast<Wait*>(t->data)->finish(Error{Errc::Timeout, "no peer delivered the block in time"});
    }, static_cast<uint64_t>(timeout_s * 1000), 0);
  };
}

Status connect_peers(MountProcess& p, const fuse::MountConfig& config) {
  wire::ReplicatorOptions options;
  p.replicator = std::make_unique<wire::Replicator>(&p.loop, options);
  HM_TRY(p.replicator->add_core(p.drive->metadata(), {.upload = true, .live = true}));
  wire::ProtocolVersion version = config.protocol == "7"   ? wire::ProtocolVersion::V7
                                  : config.protocol == "8" ? wire::ProtocolVersion::V8
                                                           : wire::ProtocolVersion::Auto;
  for (const std::string& peer : config.peers) {
    HM_TRY_ASSIGN(sockaddr_in address, wire::parse_host_port(peer));
    HM_TRY(wire::dial_tcp(&p.loop, address, [&p, version, peer](Result<wire::StreamHandle> s) {
      if (!s) {
        log::warn("cli", "peer {}: {}", peer, s.error().to_string());
        return;
      }
      auto added = p.replicator->add_stream(std::move(*s), crypto::NoiseRole::Initiator, version);
      if (!added) log::warn("cli", "peer {}: {}", peer, added.error().to_string());
    }));
  }
  return {};
}

// Runs the loop until block 0 of the metadata core (naming the content core) is here.
Status fetch_drive_header(MountProcess& p, double timeout_s) {
  if (p.drive->content() != nullptr) return {};
  std::optional<Status> outcome;
  auto fetcher = make_fetcher(p, timeout_s);
  fetcher(drive::MissingBlocks{{0}, {}}, [&outcome](Status s) { outcome = std::move(s); });
  while (!outcome && uv_run(&p.loop, UV_RUN_ONCE) != 0) {
  }
  if (!outcome) return Error::unavailable("no peer answered");
  HM_TRY(*outcome);
  HM_TRY_ASSIGN(p.drive, drive::Drive::open(*p.store, p.drive->key()));
  if (p.drive->content() == nullptr) return Error::corrupt("drive header names no content core");
  return p.replicator->add_core(*p.drive->content(), {.upload = true, .live = true});
}

void detach_stdio(const std::string& logfile) {
  int null_fd = ::open("/dev/null", O_RDWR);
  int log_fd = logfile.empty() ? null_fd : ::open(logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(null_fd, 0);
  ::dup2(null_fd, 1);
  ::dup2(log_fd >= 0 ? log_fd : null_fd, 2);
}

int run_mount(MountProcess& p, const DriveSource& source, fuse::MountConfig& config) {
  uv_loop_init(&p.loop);
  auto store = corestore::Corestore::open(config.store);
  if (!store) return report(store.error());
  p.store = std::move(*store);
  auto drive = drive::Drive::open(*p.store, source.key);
  if (!drive) return report(drive.error());
  p.drive = std::move(*drive);
  if (!config.peers.empty()) {
    if (auto s = connect_peers(p, config); !s) return report(s.error());
    if (auto s = fetch_drive_header(p, config.fetch_timeout); !s) return report(s.error());
  } else if (p.drive->version() == 0) {
    return report(Error::not_found("drive {} has no local data in {}; give peer=HOST:PORT",
                                   to_hex(source.key), config.store));
  }
  auto version = config.version ? config.version : source.version;
  if (version) p.view = p.drive->checkout(*version);
  // Writing through the mount is not built yet (issue 5): every mount is read-only for now.
  config.fuse.read_only = true;
  fuse::DriveBackend::Fetcher fetcher;
  if (p.replicator) fetcher = make_fetcher(p, config.fetch_timeout);
  p.backend = std::make_unique<fuse::DriveBackend>(p.active(), std::move(fetcher), version.has_value());
  config.fuse.fsname = "hyper://" + to_hex(source.key).substr(0, 16);
  auto mount = fuse::FuseMount::start(&p.loop, *p.backend, config.fuse, [&p] {
    stop_signals(p);
    if (p.replicator) p.replicator->close_all();
  });
  if (!mount) return report(mount.error());
  p.mount = std::move(*mount);
  watch_signals(p);
  report_ready(p, kExitOk);
  if (!config.foreground) detach_stdio(config.logfile);
  uv_run(&p.loop, UV_RUN_DEFAULT);
  p.mount.reset();
  p.replicator.reset();
  uv_run(&p.loop, UV_RUN_NOWAIT);
  return kExitOk;
}

// Forks; the parent waits for the child's "mounted" byte and exits with it, so the exit
// status tells whether mounting worked. Returns in the child with the pipe's write end.
int daemonise_or_exit() {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    ::close(fds[1]);
    uint8_t status = kExitError;
    ssize_t n = ::read(fds[0], &status, 1);
    std::_Exit(n == 1 ? static_cast<int>(status) : static_cast<int>(kExitError));
  }
  ::close(fds[0]);
  ::setsid();
  return fds[1];
}

int cmd_mount(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  fuse::MountConfig config;
  config.store = default_store();
  bool debug = take_flag(args, "-d");
  config.foreground = take_flag(args, "-f") || debug;
  while (auto opts = take_option(args, "-o")) {
    if (auto s = fuse::apply_mount_options(*opts, config); !s) return report(s.error());
  }
  if (args.size() != 2) return usage_error(mount_commands()[0]);
  if (debug) log::set_level(log::Level::Debug);
  auto source = parse_drive_source(args[0]);
  if (!source) return report(source.error());
  char resolved[PATH_MAX];
  if (::realpath(std::string(args[1]).c_str(), resolved) == nullptr) {
    return report(Error::not_found("mount point {} does not exist", args[1]));
  }
  config.fuse.mountpoint = resolved;
  MountProcess process;
  if (!config.foreground) {
    process.ready_fd = daemonise_or_exit();
    if (process.ready_fd < 0) return report(Error::io(errno, "daemonising"));
  }
  int status = run_mount(process, *source, config);
  report_ready(process, status);
  return status;
}

constexpr Command kMountCommands[] = {
    {"", "mount", "SOURCE DIR [-o OPTIONS] [-f] [-d]",
     "mount the drive SOURCE (KEY, hyper://KEY[+VERSION], dat://KEY) at DIR", cmd_mount},
};

}  // namespace

std::span<const Command> mount_commands() { return kMountCommands; }

}  // namespace hypermount::cli
