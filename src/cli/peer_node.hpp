// The network side shared by the replicating commands: one libuv loop with a replicator, a
// TCP listener or a dialled peer, and SIGINT/SIGTERM handling. Main thread only.
#pragma once

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
};

// Parses the flags of Args; nullopt on an unknown flag or a missing value.
std::optional<Flags> parse_flags(std::span<const std::string_view> args);

// The loop, the replicator and the handles of one serve/clone run. Everything is closed and
// the loop drained before it is destroyed.
struct Node {
  uv_loop_t loop{};
  std::unique_ptr<wire::Replicator> replicator;
  std::unique_ptr<wire::TcpListener> listener;
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_timer_t linger{};
  wire::StreamHandle input;
  std::string input_buffer;
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


// Prints a line to stdout and flushes it (tests wait for "listening on ...").
void print_line(const std::string& line);
std::string address_text(const sockaddr_in& address, uint16_t port);
// Accepts connections as responder (--listen), or dials as initiator (--peer), adding each
// stream to the node's replicator.
Status connect_node(Node& node, const Flags& flags, wire::ProtocolVersion version,
                    wire::ProtocolVersion responder_default);

}  // namespace hypermount::cli
