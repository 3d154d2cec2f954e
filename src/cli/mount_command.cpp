// `hypermount mount SOURCE DIR`: a drive as a folder. Runs the FUSE session and the replicator
// on one libuv loop; daemonises once the mount is up unless -f.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/service_notify.hpp"
#include "cli/stop_signals.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"
#include "fuse/drive_backend.hpp"
#include "fuse/fuse_mount.hpp"
#include "fuse/mount_options.hpp"
#include "node/drive_session.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "util/log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fuse_log.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <memory>
#include <vector>

namespace hypermount::cli {

namespace {

// Everything one mount process owns, in destruction order (last member first): the loop, the
// store, the drive and the replicator live in `remote` and go last.
struct MountProcess {
  node::DriveSession remote;
  std::unique_ptr<fuse::DriveBackend> backend;
  std::unique_ptr<fuse::FuseMount> mount;
  std::vector<uv_signal_t*> signals;
  int ready_fd = -1;  // the parent's pipe while daemonising
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
  ignore_stop_signals();
}

void watch_signals(MountProcess& p) {
  for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
    auto* s = new uv_signal_t;
    uv_signal_init(p.remote.loop(), s);
    s->data = &p;
    uv_signal_start(s, [](uv_signal_t* h, int received) {
      auto* proc = static_cast<MountProcess*>(h->data);
      if (received == SIGHUP && !hangup_stops()) return;
      if (proc->mount) proc->mount->stop();
    }, signum);
    p.signals.push_back(s);
  }
}

// libfuse's own messages go through the log facade, so a daemon's reach its log file or syslog.
void route_fuse_messages() {
  fuse_set_log_func([](enum fuse_log_level level, const char* format, va_list args) {
    const log::Level ours = level <= FUSE_LOG_ERR ? log::Level::Error
                            : level <= FUSE_LOG_WARNING ? log::Level::Warn
                            : level <= FUSE_LOG_INFO   ? log::Level::Info
                                                       : log::Level::Debug;
    if (!log::enabled(ours)) return;
    char text[1024];
    const int length = std::vsnprintf(text, sizeof(text), format, args);
    if (length < 0) return;
    std::string_view message(text, std::min(static_cast<size_t>(length), sizeof(text) - 1));
    while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    log::write(ours, "fuse", message);
  });
}

// A daemon's standard input, output and error lead nowhere: it logs to syslog, or to the
// logfile= chosen before.
void detach_stdio() {
  int null_fd = ::open("/dev/null", O_RDWR);
  for (int fd : {0, 1, 2}) ::dup2(null_fd, fd);
  if (null_fd > 2) ::close(null_fd);
  if (log::on_stderr()) log::to_syslog();
}

int run_mount(MountProcess& p, const DriveSource& source, fuse::MountConfig& config) {
  node::SessionOptions options;
  options.store = config.store;
  options.peers = config.peers;
  if (config.bootstrap || config.peers.empty()) {  // looked up only if the DHT starts
    options.bootstrap = config.bootstrap.value_or(swarm::kPublicBootstrap);
    options.bootstrap_strict = config.bootstrap.has_value();
  }
  if (config.mdns == "on" || (config.mdns == "auto" && config.peers.empty())) {
    options.mdns = "";  // every interface
  } else if (config.mdns != "off" && config.mdns != "auto") {
    options.mdns = config.mdns;
  }
  // On the swarm a mount serves and announces what it holds, on a port of its own, as
  // hyperswarm joins a topic (listen=off: it only reads).
  const bool swarming = options.mdns || !options.bootstrap.empty();
  if (config.listen == "off") {
    options.listen.clear();
  } else {
    options.listen = config.listen.empty() && swarming ? "0.0.0.0:0" : config.listen;
  }
  options.protocol = parse_protocol(config.protocol).value_or(wire::ProtocolVersion::Auto);
  options.fetch_timeout = config.fetch_timeout;
  options.no_data_hint = "; give peer=HOST:PORT";
  if (auto s = p.remote.open(source.key, options); !s) return report(s.error());
  if (auto port = p.remote.listening_port()) {  // on standard output, as `drive serve` says it
    fmt::print("listening on {}:{}\n", options.listen.substr(0, options.listen.rfind(':')), *port);
    std::fflush(stdout);
  }
  auto version = config.version ? config.version : source.version;
  if (version) p.remote.checkout(*version);
  // Read-write when the drive is writable here (its keys are in the store, no checkout) unless
  // -o ro was given; read-only (EROFS) otherwise.
  config.fuse.read_only = config.ro_requested || version.has_value() || !p.remote.active().writable();
  p.backend = std::make_unique<fuse::DriveBackend>(p.remote.loop(), p.remote.active(), p.remote.fetcher(), version.has_value());
  p.backend->set_replicator(p.remote.replicator());
  config.fuse.fsname = "hyper://" + to_hex(source.key).substr(0, 16);
  auto mount = fuse::FuseMount::start(p.remote.loop(), *p.backend, config.fuse, [&p] {
    notify_service("STOPPING=1");
    stop_signals(p);
    p.remote.close_peers();
  });
  if (!mount) return report(mount.error());
  p.mount = std::move(*mount);
  log::info("cli", "{}: mounted at {}", short_dk(crypto::discovery_key(source.key)), config.fuse.mountpoint);
  // A writer's appends reach us live (the metadata core follows its head): the kernel's cached
  // attributes are dropped at each new version.
  if (wire::Replicator* replicator = p.remote.replicator(); replicator && !version) {
    replicator->set_on_change([&p, seen = p.remote.active().version()]() mutable {
      if (p.mount && p.remote.active().version() != seen) {
        seen = p.remote.active().version();
        p.mount->invalidate_attributes();
      }
    });
  }
  p.remote.keep_peers_connected();
  watch_signals(p);
  report_ready(p, kExitOk);
  notify_service("READY=1");
  if (!config.foreground) detach_stdio();
  uv_run(p.remote.loop(), UV_RUN_DEFAULT);
  p.mount.reset();
  p.remote.shutdown();
  return kExitOk;
}

// Whether a hypermount is mounted at `dir` (an absolute path without symlinks), from
// /proc/self/mountinfo (mount point is field 5, octal escapes for blanks; type after " - ").
bool hypermount_at(const std::string& dir) {
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, rest;
    if (!(fields >> id >> parent >> device >> root >> point)) continue;
    for (size_t at = 0; (at = point.find('\\', at)) != std::string::npos && at + 3 < point.size(); ++at) {
      point.replace(at, 4, 1, static_cast<char>(std::stoi(point.substr(at + 1, 3), nullptr, 8)));
    }
    if (point == dir && line.find(" - fuse.hypermount ") != std::string::npos) return true;
  }
  return false;
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
  if (debug || config.fuse.debug) log::set_level(log::Level::Debug);  // -o debug: libfuse's request log
  route_fuse_messages();
  if (!config.logfile.empty()) {  // opened before daemonising, so that a bad path fails the mount
    if (auto s = log::to_file(config.logfile); !s) return report(s.error());
  }
  auto source = parse_drive_source(args[0]);
  if (!source) return report(source.error());
  char resolved[PATH_MAX];
  if (::realpath(std::string(args[1]).c_str(), resolved) == nullptr) {
    return report(Error::not_found("mount point {} does not exist", args[1]));
  }
  config.fuse.mountpoint = resolved;
  if (hypermount_at(resolved)) {
    return report(Error{Errc::Busy, fmt::format("{} is already a hypermount mount: unmount it first "
                                                "(fusermount3 -u {})", resolved, resolved)});
  }
  // Fork before the process (and its loop) exists: the child builds its own loop.
  int ready_fd = -1;
  if (!config.foreground) {
    ready_fd = daemonise_or_exit();
    if (ready_fd < 0) return report(Error::io(errno, "daemonising"));
  }
  MountProcess process;
  process.ready_fd = ready_fd;
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
