// `hypermount sync KEY[+VERSION] [PATH]`: downloads a drive (or the subtree PATH) completely
// into the store: all of its metadata, then the content blocks of every file below PATH
// (mounted drives too) as selected ranges. Resumable: what is here is not asked for.
#include "cli/command.hpp"
#include "cli/drive_path_arg.hpp"
#include "cli/exit_status.hpp"
#include "cli/interrupts.hpp"
#include "cli/peer_node.hpp"
#include "cli/progress.hpp"
#include "cli/store_args.hpp"
#include "node/drive_session.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <uv.h>

#include <charconv>
#include <memory>
#include <vector>

namespace hypermount::cli {

namespace {

// The blocks of one file's content.
struct FileBlocks {
  std::shared_ptr<core::Core> core;
  uint64_t first_block = 0;
  uint64_t blocks = 0;
  uint64_t size = 0;
  bool complete = false;
};

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

class DriveSync {
 public:
  DriveSync(node::DriveSession& session, Progress& progress, uint64_t stall_ms)
      : d_(session), progress_(progress), stall_ms_(stall_ms) {}
  ~DriveSync() {
    for (uv_handle_t* h : handles_) uv_close(h, [](uv_handle_t* handle) { std::free(handle); });
  }

  // Watches SIGINT/SIGTERM and draws the progress every 100 ms while the loop runs.
  void start_watching() {
    for (int signum : {SIGINT, SIGTERM}) {
      auto* s = static_cast<uv_signal_t*>(std::malloc(sizeof(uv_signal_t)));
      uv_signal_init(d_.loop(), s);
      s->data = this;
      uv_signal_start(s, [](uv_signal_t* h, int) {
        set_interrupted();
        uv_stop(h->loop);
      }, signum);
      handles_.push_back(reinterpret_cast<uv_handle_t*>(s));
    }
    auto* t = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
    uv_timer_init(d_.loop(), t);
    t->data = this;
    uv_timer_start(t, [](uv_timer_t* h) { static_cast<DriveSync*>(h->data)->tick(); }, 100, 100);
    uv_unref(reinterpret_cast<uv_handle_t*>(t));  // never the one thing keeping the loop alive
    handles_.push_back(reinterpret_cast<uv_handle_t*>(t));
  }

  // Every metadata block up to the drive's (or the checkout's) version, ahead of the walk.
  Status metadata(std::optional<uint64_t> version) {
    wire::Replicator* replicator = d_.replicator();
    if (replicator == nullptr) return {};
    HM_TRY(replicator->download(d_.drive().metadata(), 0, version));
    return run_until([&] { return replicator->done(d_.drive().metadata()); },
                     "the drive's metadata did not arrive (no peer sent any)");
  }

  // Lists every file below `path` (mounted drives entered) with its content blocks.
  Status walk(const std::string& path) {
    if (interrupted()) return Error{Errc::Cancelled, "interrupted"};
    auto stat = d_.run([&] { return d_.active().lstat(path); });
    if (!stat) return stat.error();
    if (!stat->is_directory()) return add_file(path, *stat);
    auto entries = d_.run([&] { return d_.active().readdir(path); });
    if (!entries) return entries.error();
    for (const auto& e : *entries) {
      std::string child = join(path, e.name);
      HM_TRY(e.stat.is_directory() ? walk(child) : add_file(child, e.stat));
    }
    return {};
  }

  // Downloads the missing content blocks as ranges of blocks (the request window of a clone,
  // no per-block bookkeeping), at most kActiveBlocks of them selected at a time.
  void content() {
    for (auto& f : files_) {
      f.complete = all_here(f);
      total_bytes_ += f.size;
      if (f.complete) {
        had_bytes_ += f.size;
        ++complete_files_;
      }
    }
    progress_.set_total(total_bytes_, files_.size());
    wire::Replicator* replicator = d_.replicator();
    if (replicator == nullptr) return;
    downloaded_at_start_ = replicator->stats().bytes_downloaded;
    collect_ranges();
    for (const Range& range : ranges_) {
      // Cores of mounted drives join the replication when first needed.
      auto added = replicator->add_core(*range.core, {.upload = true, .live = true});
      if (!added && added.error().code() != Errc::Exists) {
        failure_ = added.error();
        return;
      }
    }
    auto ran = run_until([&] {
      for (size_t i : active_) {
        if (auto stopped = replicator->store_failure(*ranges_[i].core)) failure_ = *stopped;
      }
      if (!failure_) retire_and_select();
      return failure_.has_value() || active_.empty();
    }, fmt::format("no block arrived for {} s", stall_ms_ / 1000.0));
    // An interruption is no failure of the sync: the caller reports it.
    if (!ran && ran.error().code() != Errc::Cancelled) failure_ = ran.error();
    settle(0, files_.size());
    tick();
  }

  // Blocks still missing, and in how many files.
  std::pair<uint64_t, uint64_t> missing() const {
    uint64_t blocks = 0, files = 0;
    for (const auto& f : files_) {
      uint64_t absent = 0;
      for (uint64_t b = f.first_block; b < f.first_block + f.blocks; ++b) absent += f.core->has(b) ? 0 : 1;
      blocks += absent;
      files += absent > 0 ? 1 : 0;
    }
    return {blocks, files};
  }

  const std::optional<Error>& failure() const { return failure_; }
  uint64_t total_bytes() const { return total_bytes_; }
  size_t files() const { return files_.size(); }
  uint64_t fetched_bytes() const {
    return d_.replicator() ? d_.replicator()->stats().bytes_downloaded - downloaded_at_start_ : 0;
  }

  // Selected at a time: enough to keep the widest request window full, few enough that the
  // replicator's ranges stay a short list.
  static constexpr uint64_t kActiveBlocks = 8192;
  static constexpr size_t kActiveRanges = 256;

 private:
  // Runs the loop until `finished()` holds. Fails when interrupted, when nothing is left to run
  // (no peer), or with `stalled` when no block arrived for the stall time.
  template <typename Finished>
  Status run_until(Finished finished, const std::string& stalled) {
    wire::Replicator* replicator = d_.replicator();
    uint64_t seen = replicator->stats().blocks_downloaded;
    uint64_t last_progress = uv_now(d_.loop());
    while (true) {
      if (interrupted()) return Error{Errc::Cancelled, "interrupted"};
      if (finished()) return {};
      if (uv_run(d_.loop(), UV_RUN_ONCE) == 0) return Error{Errc::Timeout, "no peer is connected"};
      uv_update_time(d_.loop());
      if (replicator->stats().blocks_downloaded != seen) {
        seen = replicator->stats().blocks_downloaded;
        last_progress = uv_now(d_.loop());
      } else if (uv_now(d_.loop()) - last_progress > stall_ms_) {
        return Error{Errc::Timeout, stalled};
      }
    }
  }

  Status add_file(const std::string& path, const drive::Stat& stat) {
    const auto kind = stat.kind();
    if (kind != drive::EntryKind::File && kind != drive::EntryKind::CoreMount) return {};
    auto content = d_.run([&] { return d_.active().content_of(path); });
    if (!content) return content.error();
    files_.push_back({content->core, content->first_block, content->blocks, content->size, false});
    return {};
  }

  static bool all_here(const FileBlocks& f) {
    for (uint64_t b = f.first_block; b < f.first_block + f.blocks; ++b) {
      if (!f.core->has(b)) return false;
    }
    return true;
  }

  // The missing blocks of every file, as runs of consecutive blocks of one core.
  void collect_ranges() {
    for (const FileBlocks& f : files_) {
      if (f.complete) continue;
      for (uint64_t b = f.first_block; b < f.first_block + f.blocks; ++b) {
        if (f.core->has(b)) continue;
        if (!ranges_.empty() && ranges_.back().core == f.core && ranges_.back().end == b) {
          ++ranges_.back().end;
        } else {
          ranges_.push_back({f.core, b, b + 1});
        }
      }
    }
  }

  // Drops the selected ranges that are here and selects more, up to kActiveBlocks.
  void retire_and_select() {
    std::erase_if(active_, [this](size_t i) {
      Range& r = ranges_[i];
      while (r.start < r.end && r.core->has(r.start)) ++r.start;
      if (r.start < r.end) return false;
      active_blocks_ -= r.blocks;
      return true;
    });
    while (next_range_ < ranges_.size() && active_blocks_ < kActiveBlocks && active_.size() < kActiveRanges) {
      Range& r = ranges_[next_range_];
      r.blocks = r.end - r.start;
      if (auto s = d_.replicator()->download(*r.core, r.start, r.end); !s) {
        failure_ = s.error();
        return;
      }
      active_blocks_ += r.blocks;
      active_.push_back(next_range_++);
    }
    settle(settled_, files_.size(), /*stop_at_incomplete=*/true);
  }

  // Counts the files of [first, end) that are complete now; with stop_at_incomplete, up to
  // the first that is not (the files arrive in order), remembered for the next call.
  void settle(size_t first, size_t end, bool stop_at_incomplete = false) {
    for (size_t i = first; i < end; ++i) {
      if (!files_[i].complete && all_here(files_[i])) {
        files_[i].complete = true;
        ++complete_files_;
      }
      if (stop_at_incomplete && !files_[i].complete) break;
      if (stop_at_incomplete) settled_ = i + 1;
    }
  }

  void tick() {
    const std::optional<size_t> peers = d_.replicator() ? std::optional<size_t>(d_.replicator()->peer_count()) : std::nullopt;
    progress_.update(std::min(total_bytes_, had_bytes_ + fetched_bytes()), complete_files_, peers);
  }

  node::DriveSession& d_;
  Progress& progress_;
  uint64_t stall_ms_;
  std::vector<uv_handle_t*> handles_;
  std::vector<FileBlocks> files_;
  // A run of missing blocks [start, end) of one core; `start` moves up as they arrive.
  struct Range {
    std::shared_ptr<core::Core> core;
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t blocks = 0;  // selected: counted in active_blocks_ until it is all here
  };
  std::vector<Range> ranges_;
  std::vector<size_t> active_;  // indices of the selected ranges not yet here
  size_t next_range_ = 0;
  uint64_t active_blocks_ = 0;
  size_t settled_ = 0;  // files before this one are complete
  std::optional<Error> failure_;
  uint64_t total_bytes_ = 0;
  uint64_t had_bytes_ = 0;
  uint64_t complete_files_ = 0;
  uint64_t downloaded_at_start_ = 0;
};

Result<node::SessionOptions> session_options(std::vector<std::string_view>& args) {
  node::SessionOptions options;
  options.store = take_option(args, "--store").value_or(default_store());
  while (auto peer = take_option(args, "--peer")) options.peers.push_back(*peer);
  const auto bootstrap = take_option(args, "--bootstrap");
  const std::string mdns = take_option(args, "--mdns").value_or("auto");
  if (auto text = take_option(args, "--protocol")) {
    auto version = parse_protocol(*text);
    if (!version) return Error::invalid("--protocol: '{}' is not 7, 8 or auto", *text);
    options.protocol = *version;
  }
  if (auto text = take_option(args, "--timeout")) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), seconds);
    if (ec != std::errc() || end != text->data() + text->size() || seconds <= 0) {
      return Error::invalid("--timeout: '{}' is not a positive number of seconds", *text);
    }
    options.fetch_timeout = seconds;
  }
  // Discovery as `mount` does it: the DHT and the LAN unless peers are given (or it is off).
  if (bootstrap != "none" && (bootstrap || options.peers.empty())) {
    options.bootstrap = bootstrap ? swarm::split_nodes(*bootstrap) : swarm::kPublicBootstrap;
    options.bootstrap_strict = bootstrap.has_value();
  }
  if (mdns == "on" || (mdns == "auto" && options.peers.empty())) {
    options.mdns = "";
  } else if (mdns != "off" && mdns != "auto") {
    options.mdns = mdns;
  }
  options.no_data_hint = " (give --peer HOST:PORT)";
  return options;
}

int cmd_sync(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  Progress progress("sync", Progress::mode_for(take_flag(args, "-q")));
  auto options = session_options(args);
  if (!options) return report(options.error());
  if (args.empty() || args.size() > 2) return usage_error(sync_commands()[0]);
  auto target = parse_drive_path(args[0]);
  if (!target) return report(target.error());
  if (args.size() == 2) target->path = std::string(args[1]);
  const std::string again = "run the same sync again to continue";
  node::DriveSession session;
  catch_interrupts();
  if (auto s = session.open(target->drive.key, *options); !s) {
    if (interrupted()) return report(Error{Errc::Cancelled, "interrupted"});
    if (s.error().code() != Errc::Unavailable && s.error().code() != Errc::Timeout) return report(s.error());
    fmt::print(stderr, "hypermount: {}; nothing synced\n", s.error().to_string());
    return kExitIncomplete;
  }
  const auto started = std::chrono::steady_clock::now();
  int status = kExitOk;
  {
    DriveSync sync(session, progress, static_cast<uint64_t>(options->fetch_timeout * 1000));
    sync.start_watching();
    auto since = [&started] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    Status listed = sync.metadata(target->drive.version);
    log::debug("cli", "sync: metadata ({} blocks) at {:.3f} s", session.drive().metadata().length(), since());
    if (listed && target->drive.version) session.checkout(*target->drive.version);
    if (listed) listed = sync.walk(target->path);
    log::debug("cli", "sync: {} files listed at {:.3f} s", sync.files(), since());
    if (listed) sync.content();
    log::debug("cli", "sync: content at {:.3f} s", since());
    progress.finish();
    auto [blocks, files] = sync.missing();
    const double seconds = since();
    if (!listed) {
      fmt::print(stderr, "hypermount: incomplete: {}; {}\n", listed.error().to_string(), again);
      status = listed.error().code() == Errc::NotFound ? kExitNotFound : kExitIncomplete;
    } else if (blocks > 0) {
      fmt::print(stderr, "hypermount: incomplete: {} blocks of {} files did not arrive{}; {}\n", blocks, files,
                 interrupted() ? " (interrupted)" : sync.failure() ? " (" + sync.failure()->to_string() + ")" : "", again);
      status = kExitIncomplete;
    } else if (progress.mode() != Progress::Mode::Quiet) {
      fmt::print(stderr, "sync: complete: {} files, {} ({} fetched) in {:.1f} s\n", sync.files(),
                 human_bytes(static_cast<double>(sync.total_bytes())),
                 human_bytes(static_cast<double>(sync.fetched_bytes())), seconds);
    }
    session.shutdown();  // before `sync`: no fetch callback may outlive it
  }
  return status;
}

constexpr Command kSyncCommands[] = {
    {"", "sync",
     "KEY[+VERSION][/PATH] [PATH] [--store DIR] [--peer HOST:PORT]... [--bootstrap HOST:PORT[,...]|none] "
     "[--mdns on|off|auto|IPv4] [--protocol 7|8|auto] [--timeout S] [-q]",
     "download a drive (or the subtree PATH, mounted drives included) completely into the store; "
     "exit status 6 when something did not arrive (run it again to continue)", cmd_sync},
};

}  // namespace

std::span<const Command> sync_commands() { return kSyncCommands; }

}  // namespace hypermount::cli
