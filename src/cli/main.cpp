// hypermount: the command-line entry point; dispatches to the command tables.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/store_args.hpp"
#include "crypto/keys.hpp"
#include "fuse/mount_options.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <string_view>
#include <vector>

#ifndef HM_VERSION
#define HM_VERSION "unknown"
#endif

namespace hypermount::cli {

int usage_error(const Command& command) {
  fmt::print(stderr, "usage: hypermount {} {} {}\n", command.group, command.name, command.usage);
  return kExitUsage;
}

namespace {

std::vector<std::span<const Command>> all_tables() { return {core_commands(), replication_commands(), drive_commands(), drive_serve_commands(), mount_commands(), mount_drive_commands(), dht_commands(), seed_commands(),
                                                     file_commands(), sync_commands(), info_commands(), store_commands(), keys_commands()}; }

void print_help(std::FILE* out) {
  fmt::print(out,
             "hypermount {}: Dat2 hypercores and hyperdrives, mountable with FUSE\n\n"
             "usage: hypermount [-d] COMMAND ...\n\n",
             HM_VERSION);
  for (auto table : all_tables()) {
    for (const Command& c : table) {
      fmt::print(out, "  hypermount {} {} {}\n      {}\n", c.group, c.name, c.usage, c.summary);
    }
  }
  fmt::print(out, "\nmount options (-o, or the options of an fstab line):\n  {}\n",
             fmt::join(fuse::mount_option_names(), " "));
  fmt::print(out, "\n  -d  debug logging to stderr\n  -h, --help  this text\n"
                  "  -V, --version  print the version\n\nSee hypermount(1).\n");
}

int run(std::vector<std::string_view> args) {
  while (!args.empty() && args.front().starts_with('-')) {
    std::string_view flag = args.front();
    if (flag == "-h" || flag == "--help") {
      print_help(stdout);
      return kExitOk;
    }
    if (flag == "-V" || flag == "--version") {
      fmt::print("hypermount {}\n", HM_VERSION);
      return kExitOk;
    }
    if (flag == "-d" || flag == "--debug") {
      log::set_level(log::Level::Debug);
    } else {
      fmt::print(stderr, "hypermount: unknown option {}\n", flag);
      return kExitUsage;
    }
    args.erase(args.begin());
  }
  if (args.empty()) {
    print_help(stderr);
    return kExitUsage;
  }
  // The mount.fuse3 / fstab calling form: `hypermount SOURCE DIR -o OPTIONS`.
  if (parse_drive_source(args[0])) {
    return mount_commands()[0].run(args);
  }
  for (auto table : all_tables()) {
    for (const Command& c : table) {
      size_t words = c.group.empty() ? 1 : 2;
      if (args.size() < words) continue;
      if (c.group.empty() ? args[0] != c.name : (args[0] != c.group || args[1] != c.name)) {
        continue;
      }
      std::vector<std::string_view> rest(args.begin() + static_cast<long>(words), args.end());
      return c.run(rest);
    }
  }
  fmt::print(stderr, "hypermount: unknown command '{}'; see hypermount --help\n",
             args.size() > 1 ? fmt::format("{} {}", args[0], args[1]) : std::string(args[0]));
  return kExitUsage;
}

}  // namespace
}  // namespace hypermount::cli

int main(int argc, char** argv) {
  if (!hypermount::crypto::init()) {
    fmt::print(stderr, "hypermount: libsodium could not be initialised\n");
    return hypermount::cli::kExitError;
  }
  // A peer (socket or pipe) that goes away mid-write must surface as EPIPE on that write, not
  // kill the process: `drive serve` died whenever a peer was killed during a transfer.
  std::signal(SIGPIPE, SIG_IGN);
  // Blocks of 64 KiB to 512 KiB pass through a few buffers each on their way between socket,
  // store and FUSE. With glibc's defaults a freed one often went back to the kernel (the heap is
  // trimmed at twice the largest block freed), so a transfer faulted in new zeroed pages: one
  // fault per 4 KiB moved, a third of a server's CPU. Freed memory is now kept for reuse up to
  // 32 MiB, and allocations up to 8 MiB (a file copy's 4 MiB pieces) come from the heap.
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return hypermount::cli::run(std::move(args));
}
