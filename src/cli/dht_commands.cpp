// `hypermount dht`: a DHT node (persistent, or the bootstrap node of a private DHT), and
// `dht announce` / `dht lookup` of one topic, for trying the swarm layer by hand and in tests.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/stop_signals.hpp"
#include "cli/store_args.hpp"
#include "swarm/bootstrap_nodes.hpp"
#include "swarm/dht_socket.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

#include <csignal>
#include <set>

namespace hypermount::cli {

namespace {

// The options every dht command takes.
struct DhtArgs {
  swarm::Ipv4Address bind{{0, 0, 0, 0}, 0};
  std::vector<swarm::Ipv4Address> bootstrap;
  std::optional<swarm::Ipv4Address> local_address;
  std::vector<std::string_view> positional;
  std::optional<swarm::NodeId> topic;  // `dht announce|lookup TOPIC`
};

std::optional<DhtArgs> parse_dht_args(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  DhtArgs out;
  if (auto port = take_option(args, "--port")) {
    auto parsed = swarm::parse_address("0.0.0.0:" + *port);
    if (!parsed && *port != "0") return std::nullopt;
    out.bind.port = parsed ? parsed->port : 0;
  }
  if (auto host = take_option(args, "--host")) {
    auto parsed = swarm::parse_address(*host + ":1");
    if (!parsed) return std::nullopt;
    out.bind.host = parsed->host;
  }
  if (auto list = take_option(args, "--bootstrap")) {
    for (const std::string& node : swarm::split_nodes(*list)) {
      auto address = swarm::parse_address(node);
      if (!address) return std::nullopt;
      out.bootstrap.push_back(*address);
    }
  }
  if (auto local = take_option(args, "--local-address")) {
    out.local_address = swarm::parse_address(*local);
    if (!out.local_address) return std::nullopt;
  }
  for (std::string_view a : args) {
    if (a.starts_with("--")) return std::nullopt;
  }
  out.positional = std::move(args);
  return out;
}

// One loop with the DHT socket and SIGINT/SIGTERM handling; everything closed on destruction.
struct DhtRun {
  uv_loop_t loop{};
  uv_signal_t sigint{}, sigterm{};
  std::unique_ptr<swarm::DhtSocket> socket;
  int status = kExitOk;

  DhtRun() {
    uv_loop_init(&loop);
    for (uv_signal_t* s : {&sigint, &sigterm}) {
      uv_signal_init(&loop, s);
      s->data = this;
    }
    auto on_signal = [](uv_signal_t* s, int) { static_cast<DhtRun*>(s->data)->stop(); };
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
  }
  ~DhtRun() {
    stop();
    ignore_stop_signals();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  DhtRun(const DhtRun&) = delete;
  DhtRun& operator=(const DhtRun&) = delete;
  void stop() {
    socket.reset();
    for (uv_signal_t* s : {&sigint, &sigterm}) {
      auto* h = reinterpret_cast<uv_handle_t*>(s);
      if (uv_is_closing(h) == 0) uv_close(h, nullptr);
    }
  }
  Status open(const DhtArgs& args, bool ephemeral) {
    swarm::DhtConfig config{std::nullopt, ephemeral, args.bootstrap};
    auto opened = swarm::DhtSocket::open(loop, args.bind, std::move(config));
    if (!opened) return opened.error();
    socket = std::move(*opened);
    return {};
  }
};

// The arguments of `dht announce|lookup`: one topic (64 hex digits) and a bootstrap list.
std::optional<DhtArgs> parse_topic_args(Args in) {
  auto args = parse_dht_args(in);
  if (!args || args->positional.size() != 1 || args->bootstrap.empty()) return std::nullopt;
  args->topic = array_from_hex<swarm::kIdSize>(args->positional[0]);
  if (!args->topic) return std::nullopt;
  return args;
}

int cmd_dht(Args in) {
  auto args = parse_dht_args(in);
  if (!args || !args->positional.empty()) return usage_error(dht_commands()[2]);
  DhtRun run;
  if (auto s = run.open(*args, false); !s) return report(s.error());
  swarm::DhtNode& node = run.socket->node();
  print_line(fmt::format("dht node {} listening on port {}", to_hex(ByteView(node.id()).first(4)),
                         run.socket->port()));
  if (!args->bootstrap.empty()) {
    auto s = node.bootstrap([&node](Status done) {
      print_line(fmt::format("dht bootstrapped: {} nodes{}", node.table().size(),
                             done ? "" : " (" + done.error().message() + ")"));
    });
    if (!s) return report(s.error());
  }
  uv_run(&run.loop, UV_RUN_DEFAULT);
  return kExitOk;
}

int cmd_dht_announce(Args in) {
  auto args = parse_topic_args(in);
  if (!args) return usage_error(dht_commands()[0]);
  const swarm::NodeId& topic = *args->topic;
  DhtRun run;
  if (auto s = run.open(*args, true); !s) return report(s.error());
  print_line(fmt::format("dht listening on port {}", run.socket->port()));
  swarm::JoinOptions options{true, false, {0, args->local_address}};
  run.socket->discovery().join(
      topic, options,
      [](const swarm::FoundPeer& peer) {
        print_line(fmt::format("peer {}{}", peer.address.to_string(), peer.local ? " (local)" : ""));
      },
      [topic](Status round) {
        print_line(fmt::format("announced {}{}", to_hex(ByteView(topic).first(4)),
                               round ? "" : ": " + round.error().message()));
      });
  uv_run(&run.loop, UV_RUN_DEFAULT);
  return kExitOk;
}

int cmd_dht_lookup(Args in) {
  auto args = parse_topic_args(in);
  if (!args) return usage_error(dht_commands()[1]);
  const swarm::NodeId& topic = *args->topic;
  DhtRun run;
  if (auto s = run.open(*args, true); !s) return report(s.error());
  std::set<swarm::Ipv4Address> found;
  std::optional<Error> failure;
  auto on_result = [&found](const swarm::LookupResult& result) {
    for (const auto& list : {result.peers, result.local_peers}) {
      for (const swarm::Ipv4Address& peer : list) {
        if (found.insert(peer).second) {
          print_line(fmt::format("peer {} via {}", peer.to_string(), result.node.to_string()));
        }
      }
    }
  };
  auto started = run.socket->hyper().lookup(topic, args->local_address, on_result,
                                            [&run, &failure](Status done) {
                                              if (!done) failure = done.error();
                                              // The node is still on the stack here: the loop
                                              // returns and ~DhtRun closes it.
                                              uv_stop(&run.loop);
                                            });
  if (!started) return report(started.error());
  uv_run(&run.loop, UV_RUN_DEFAULT);
  if (failure) return report(*failure);
  if (found.empty()) return report(Error::not_found("no peers for {}", to_hex(ByteView(topic).first(4))));
  return kExitOk;
}

constexpr Command kDhtCommands[] = {
    {"dht", "announce", "TOPIC --bootstrap HOST:PORT[,...] [--port P] [--host IP] "
     "[--local-address IP:PORT]",
     "announce a 32-byte topic (hex) on the DHT, again every 5-10 minutes, until SIGINT/SIGTERM",
     cmd_dht_announce},
    {"dht", "lookup", "TOPIC --bootstrap HOST:PORT[,...] [--port P] [--local-address IP:PORT]",
     "look a topic up on the DHT once and print the peers found (exit 3 if none)", cmd_dht_lookup},
    {"", "dht", "[--port P] [--host IP] [--bootstrap HOST:PORT[,...]]",
     "run a persistent DHT node (with no --bootstrap: the bootstrap node of a private DHT) "
     "until SIGINT/SIGTERM",
     cmd_dht},
};

}  // namespace

std::span<const Command> dht_commands() { return kDhtCommands; }

}  // namespace hypermount::cli
