#include "cli/peer_node.hpp"

#include "cli/stop_signals.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

namespace hypermount::cli {

namespace {
// How long --peer may take to connect.
constexpr uint64_t kDialTimeoutMs = 30000;
}  // namespace

std::optional<wire::ProtocolVersion> parse_protocol(std::string_view text) {
  if (text == "7") return wire::ProtocolVersion::V7;
  if (text == "8") return wire::ProtocolVersion::V8;
  if (text == "auto") return wire::ProtocolVersion::Auto;
  return std::nullopt;
}

std::optional<Flags> parse_flags(std::span<const std::string_view> args) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](std::optional<std::string_view>& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "--listen") {
      ok = value(flags.listen);
    } else if (a == "--peer" || a == "--connect") {
      ok = value(flags.peer);
    } else if (a == "--blocks") {
      ok = value(flags.blocks);
    } else if (a == "--protocol") {
      ok = value(flags.protocol);
    } else if (a == "--live") {
      flags.live = true;
    } else if (a == "--append-stdin") {
      flags.append_stdin = true;
    } else if (a == "--stdio") {
      flags.stdio = true;
    } else if (a == "--initiator") {
      ok = !flags.role;
      flags.role = crypto::NoiseRole::Initiator;
    } else if (a == "--responder") {
      ok = !flags.role;
      flags.role = crypto::NoiseRole::Responder;
    } else if (a.starts_with("--")) {
      ok = false;
    } else {
      flags.positional.push_back(a);
    }
    if (!ok) return std::nullopt;
  }
  return flags;
}

bool has_transport(const Flags& flags) {
  if (flags.stdio) return !flags.listen && !flags.peer && !flags.append_stdin;
  return (flags.listen || flags.peer) && !flags.role;
}

Node::Node() {
  uv_loop_init(&loop);
  loop.data = this;  // how the stdin callbacks find the node
  uv_signal_init(&loop, &sigint);
  uv_signal_init(&loop, &sigterm);
  uv_timer_init(&loop, &linger);
  sigint.data = sigterm.data = linger.data = this;
  auto on_signal = [](uv_signal_t* s, int) {
    auto* self = static_cast<Node*>(s->data);
    self->interrupted = true;
    self->stop();
  };
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
}
Node::~Node() {
  peers.reset();
  replicator.reset();
  input.reset();
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&sigint),
                         reinterpret_cast<uv_handle_t*>(&sigterm),
                         reinterpret_cast<uv_handle_t*>(&linger)}) {
    if (uv_is_closing(h) == 0) uv_close(h, nullptr);
  }
  ignore_stop_signals();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}
void Node::stop() {
  if (peers) peers->close();
  if (replicator) replicator->close_all();
  uv_stop(&loop);
}

void print_line(const std::string& line) {
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

std::string address_text(const sockaddr_in& address, uint16_t port) {
  char host[64] = {};
  uv_ip4_name(&address, host, sizeof(host));
  return fmt::format("{}:{}", host, port);
}

Status connect_node(Node& node, const Flags& flags, wire::ProtocolVersion version,
                    wire::ProtocolVersion responder_default, crypto::NoiseRole stdio_role) {
  wire::Replicator& rep = *node.replicator;
  node.peers = std::make_unique<node::PeerSet>(&node.loop, rep, version, nullptr);
  wire::ProtocolVersion as_responder =
      version == wire::ProtocolVersion::Auto ? responder_default : version;
  if (flags.stdio) {
    crypto::NoiseRole role = flags.role.value_or(stdio_role);
    node.stdio = true;
    // One peer only: once it is gone there is nothing left to do.
    rep.set_on_change([&node, &rep, previous = rep.on_change()]() {
      if (previous) previous();
      if (node.stdio && rep.peer_count() == 0) node.stop();
    });
    return node.peers->attach_stdio(
        role, role == crypto::NoiseRole::Responder ? as_responder : version);
  }
  if (flags.listen) {
    HM_TRY_ASSIGN(sockaddr_in address, wire::parse_host_port(*flags.listen));
    HM_TRY_ASSIGN(uint16_t port, node.peers->listen(*flags.listen, as_responder));
    print_line(fmt::format("listening on {}", address_text(address, port)));
  }
  if (flags.peer) {
    HM_TRY(node.peers->dial_all({std::string(*flags.peer)}));
    HM_TRY(node.peers->await_a_peer(kDialTimeoutMs));
  }
  return {};
}

}  // namespace hypermount::cli
