// The network side shared by the replicating commands: one libuv loop with a replicator, its
// peers (node::PeerSet: listening, dialled, or standard input/output), and SIGINT/SIGTERM
// handling. Main thread only.
#pragma once

#include "node/peer_set.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::cli {

// "7", "8" or "auto".
std::optional<wire::ProtocolVersion> parse_protocol(std::string_view text);

// Flags shared by serve and clone; positional arguments are left in `positional`.
struct Flags {
  std::vector<std::string_view> positional;
  std::optional<std::string_view> listen;
  std::optional<std::string_view> peer;
  std::optional<std::string_view> blocks;
  std::optional<std::string_view> protocol;
  bool live = false;
  bool append_stdin = false;
  bool stdio = false;                     // --stdio: the peer is on standard input/output
  std::optional<crypto::NoiseRole> role;  // --initiator / --responder (only with --stdio)
};

// Parses the flags of Args; nullopt on an unknown flag or a missing value.
std::optional<Flags> parse_flags(std::span<const std::string_view> args);
// True when the flags name a transport: --listen and/or --peer, or --stdio alone (with
// --initiator/--responder only alongside --stdio).
bool has_transport(const Flags& flags);

// The loop, the replicator and the handles of one serve/clone run. Everything is closed and
// the loop drained before it is destroyed.
struct Node {
  uv_loop_t loop{};
  std::unique_ptr<wire::Replicator> replicator;
  std::unique_ptr<node::PeerSet> peers;
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_timer_t linger{};
  wire::StreamHandle input;
  std::string input_buffer;
  bool stdio = false;  // replicating over standard input/output: stop when that peer is gone
  core::Core* append_core = nullptr;  // serve --append-stdin
  bool interrupted = false;
  std::optional<Error> failure;

  Node();
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Closes every connection and stops the loop.
  void stop();
};


// Prints a line to stdout and flushes it (tests wait for "listening on ..."). With --stdio,
// fd 1 is pointed at standard error first, so these lines never reach the wire.
void print_line(const std::string& line);
std::string address_text(const sockaddr_in& address, uint16_t port);
// Accepts connections as responder (--listen), dials as initiator (--peer: Unavailable if it
// cannot be reached), or runs one connection over standard input/output (--stdio, as
// `stdio_role` unless --initiator or --responder says otherwise), through the node's peer set.
// Over stdio the node stops once that connection is closed; call after set_on_change (it
// chains the callback).
Status connect_node(Node& node, const Flags& flags, wire::ProtocolVersion version,
                    wire::ProtocolVersion responder_default, crypto::NoiseRole stdio_role);

}  // namespace hypermount::cli
