// `hypermount seed KEY...`: serves drives on the swarm until SIGINT/SIGTERM: each drive's cores
// (and any other core the store holds, mounted drives' included) to every peer that asks,
// announced by the drive's discovery key on the DHT and the LAN. A drive a mount holds open is
// left to that mount, which serves it itself (mount -o listen=).
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"
#include "node/host.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "swarm/dht_socket.hpp"
#include "swarm/mdns.hpp"

#include <fmt/format.h>

namespace hypermount::cli {

namespace {

std::string short_dk(const crypto::DiscoveryKey& dk) { return to_hex(ByteView(dk).first(4)); }

int cmd_seed(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  const std::string store_dir = take_option(args, "--store").value_or(default_store());
  const std::string listen = take_option(args, "--listen").value_or("0.0.0.0:0");
  const std::optional<std::string> bootstrap_arg = take_option(args, "--bootstrap");
  const std::string mdns = take_option(args, "--mdns").value_or("on");
  if (args.empty()) return usage_error(seed_commands()[0]);
  std::vector<swarm::Ipv4Address> bootstrap;
  if (bootstrap_arg != "none") {
    auto nodes = swarm::resolve_nodes(bootstrap_arg ? swarm::split_nodes(*bootstrap_arg) : swarm::kPublicBootstrap,
                                      bootstrap_arg.has_value());
    if (!nodes) return report(nodes.error());
    bootstrap = std::move(*nodes);
  }

  auto store = corestore::Corestore::open(store_dir);
  if (!store) return report(store.error());
  Node node;
  node.replicator = std::make_unique<wire::Replicator>(&node.loop);
  std::vector<std::unique_ptr<drive::Drive>> drives;
  std::vector<crypto::DiscoveryKey> topics;
  for (std::string_view arg : args) {
    auto source = parse_drive_source(arg);
    if (!source) return report(source.error());
    auto drive = drive::Drive::open(**store, source->key);
    if (!drive && drive.error().code() == Errc::Unavailable) {  // a mount has it open
      print_line(fmt::format("{}: left to the process that has it open ({})", short_dk(crypto::discovery_key(source->key)),
                             drive.error().message()));
      continue;
    }
    if (!drive) return report(drive.error());
    if ((*drive)->content() == nullptr) {
      return report(Error::not_found("drive {} has no local data in {}", arg, store_dir));
    }
    for (core::Core* core : {&(*drive)->metadata(), (*drive)->content()}) {
      if (auto s = node.replicator->add_core(*core, {.upload = true, .live = true}); !s) return report(s.error());
    }
    topics.push_back((*drive)->metadata().discovery_key());
    drives.push_back(std::move(*drive));
  }
  if (topics.empty()) return report(Error::not_found("no drive left to seed"));
  node::serve_store(*node.replicator, **store);

  node.peers = std::make_unique<node::PeerSet>(&node.loop, *node.replicator, wire::ProtocolVersion::V8, [&node] {
    print_line(fmt::format("peer connected ({} connected)", node.replicator->peer_count()));
  });
  auto port = node.peers->listen(listen, wire::ProtocolVersion::V8);
  if (!port) return report(port.error());
  print_line(fmt::format("listening on {}:{}", listen.substr(0, listen.rfind(':')), *port));

  std::unique_ptr<swarm::DhtSocket> dht;
  if (!bootstrap.empty()) {
    swarm::DhtConfig config;
    config.bootstrap = bootstrap;
    auto opened = swarm::DhtSocket::open(node.loop, swarm::Ipv4Address{{0, 0, 0, 0}, *port}, std::move(config));
    if (!opened) return report(opened.error());
    dht = std::move(*opened);
    for (const crypto::DiscoveryKey& topic : topics) {
      dht->discovery().join(topic, {.announce = true, .lookup = false, .announce_options = {}},
                            [](const swarm::FoundPeer&) {},  // a seeder dials nobody
                            [topic](Status round) {
                              print_line(fmt::format("{}: announced on the DHT{}", short_dk(topic),
                                                     round ? "" : " (" + round.error().message() + ")"));
                            });
    }
  }
  std::unique_ptr<swarm::Mdns> lan;
  if (mdns != "off") {
    auto started = swarm::Mdns::start(&node.loop, {.interface = mdns == "on" ? "" : mdns}, nullptr);
    if (!started) return report(started.error());
    lan = std::move(*started);
    for (const crypto::DiscoveryKey& topic : topics) {
      lan->announce(topic, *port);
      print_line(fmt::format("{}: announced on the LAN", short_dk(topic)));
    }
  }
  uv_run(&node.loop, UV_RUN_DEFAULT);
  print_line(fmt::format("stopped: {} blocks uploaded", node.replicator->stats().blocks_uploaded));
  return kExitOk;
}

constexpr Command kSeedCommands[] = {
    {"", "seed", "KEY... [--store DIR] [--listen HOST:PORT] [--bootstrap HOST:PORT[,...]|none] [--mdns on|off|IPv4]",
     "serve drives to peers on the swarm (announced on the DHT and the LAN) until SIGINT/SIGTERM; a drive a "
     "mount has open is left to it",
     cmd_seed},
};

}  // namespace

std::span<const Command> seed_commands() { return kSeedCommands; }

}  // namespace hypermount::cli
