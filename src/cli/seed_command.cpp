// `hypermount seed [KEY...]`: the seeding service of a store. The store remembers the drives it
// seeds (seed_list.hpp): KEYs given join that set, `--add`/`--remove` change it (a running
// seeder follows at once), and the seeder serves the whole set until SIGINT/SIGTERM, announced
// on the DHT and the LAN. A drive a mount holds open is left to that mount, which serves it
// itself (mount -o listen=).
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/seed_list.hpp"
#include "cli/seeder.hpp"
#include "cli/store_args.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace hypermount::cli {

namespace {

// --add KEY / --remove KEY (each repeatable): changes the set and says what it holds now.
int change_set(const std::string& store_dir, SeedListChange change, const std::vector<std::string>& texts) {
  std::vector<crypto::PublicKey> keys;
  for (const std::string& text : texts) {
    auto source = parse_drive_source(text);
    if (!source) return report(source.error());
    keys.push_back(source->key);
  }
  auto set = change_seed_list(store_dir, change, keys);
  if (!set) return report(set.error());
  for (const crypto::PublicKey& key : keys) {
    print_line(fmt::format("{}: {} the seeding set", short_dk(crypto::discovery_key(key)),
                           change == SeedListChange::Add ? "in" : "out of"));
  }
  print_line(fmt::format("{} drive{} in the seeding set", set->size(), set->size() == 1 ? "" : "s"));
  return kExitOk;
}

int cmd_seed(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  SeederOptions options;
  options.store_dir = take_option(args, "--store").value_or(default_store());
  options.listen = take_option(args, "--listen").value_or("0.0.0.0:0");
  const std::optional<std::string> bootstrap_arg = take_option(args, "--bootstrap");
  options.mdns = take_option(args, "--mdns").value_or("on");
  const std::optional<std::string> logfile = take_option(args, "--logfile");
  if (take_flag(args, "-d")) log::set_level(log::Level::Debug);
  std::vector<std::string> added, removed;
  while (auto key = take_option(args, "--add")) added.push_back(*key);
  while (auto key = take_option(args, "--remove")) removed.push_back(*key);
  if (std::any_of(args.begin(), args.end(), [](std::string_view a) { return a.starts_with('-'); })) {
    return usage_error(seed_commands()[0]);
  }
  if (!added.empty() || !removed.empty()) {
    if (!args.empty()) return usage_error(seed_commands()[0]);
    int status = added.empty() ? kExitOk : change_set(options.store_dir, SeedListChange::Add, added);
    return status != kExitOk || removed.empty() ? status : change_set(options.store_dir, SeedListChange::Remove, removed);
  }

  std::vector<crypto::PublicKey> given;
  for (std::string_view arg : args) {
    auto source = parse_drive_source(arg);
    if (!source) return report(source.error());
    given.push_back(source->key);
  }
  if (bootstrap_arg != "none") {
    auto nodes = swarm::resolve_nodes(bootstrap_arg ? swarm::split_nodes(*bootstrap_arg) : swarm::kPublicBootstrap,
                                      bootstrap_arg.has_value());
    if (!nodes) return report(nodes.error());
    options.bootstrap = std::move(*nodes);
  }
  if (logfile) {
    if (auto s = log::to_file(*logfile); !s) return report(s.error());
    if (!log::enabled(log::Level::Info)) log::set_level(log::Level::Info);  // the seeder's events
  }
  const std::string store_dir = options.store_dir;
  auto seeder = Seeder::open(std::move(options));  // makes a new store's folder as stores are made
  if (!seeder) return report(seeder.error());
  if (!given.empty()) {
    if (auto set = change_seed_list(store_dir, SeedListChange::Add, given); !set) return report(set.error());
  }
  if (auto s = (*seeder)->run(!given.empty()); !s) return report(s.error());
  return kExitOk;
}

constexpr Command kSeedCommands[] = {
    {"", "seed",
     "[KEY...] [--store DIR] [--listen HOST:PORT] [--bootstrap HOST:PORT[,...]|none] [--mdns on|off|IPv4] "
     "[--logfile PATH] [-d] | --add KEY | --remove KEY [--store DIR]",
     "serve the store's seeding set (KEYs join it) to peers on the swarm (announced on the DHT and the LAN) "
     "until SIGINT/SIGTERM, following --add/--remove at once; a drive a mount has open is left to it",
     cmd_seed},
};

}  // namespace

std::span<const Command> seed_commands() { return kSeedCommands; }

}  // namespace hypermount::cli
