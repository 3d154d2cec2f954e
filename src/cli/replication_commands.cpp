// `hypermount core serve` and `hypermount core clone`: replicate one core over TCP or standard
// input/output with the wire protocol v7/v8 (one libuv loop on the main thread).
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "core/core.hpp"
#include "util/log.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <fmt/format.h>
#include <uv.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::cli {

namespace {

std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "1,5,7-9" -> [1,2) [5,6) [7,10).
std::optional<std::vector<std::pair<uint64_t, uint64_t>>> parse_blocks(std::string_view text) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t dash = part.find('-');
    auto a = parse_number(part.substr(0, dash));
    auto b = dash == std::string_view::npos ? a : parse_number(part.substr(dash + 1));
    if (!a || !b || *b < *a) return std::nullopt;
    out.emplace_back(*a, *b + 1);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Appends each line read from standard input as one block and announces it (serve
// --append-stdin; standard input must be a pipe or FIFO).
void start_stdin_appends(Node& node, core::Core& core) {
  auto input = wire::StreamHandle::pipe_from_fd(&node.loop, 0);
  if (!input) {
    log::warn("cli", "--append-stdin: {}", input.error().to_string());
    return;
  }
  node.input = std::move(*input);
  node.append_core = &core;
  uv_read_start(
      node.input.stream(),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        *buf = uv_buf_init(new char[suggested], static_cast<unsigned>(suggested));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        std::unique_ptr<char[]> owned(buf->base);
        Node& n = *static_cast<Node*>(stream->loop->data);
        if (nread < 0) {
          uv_read_stop(stream);
          return;
        }
        core::Core& core = *n.append_core;
        n.input_buffer.append(buf->base, static_cast<size_t>(nread));
        size_t newline;
        while ((newline = n.input_buffer.find('\n')) != std::string::npos) {
          std::string line = n.input_buffer.substr(0, newline);
          n.input_buffer.erase(0, newline + 1);
          auto appended = core.append({as_bytes(line)});
          if (!appended) {
            log::error("cli", "append: {}", appended.error().to_string());
            continue;
          }
          print_line(fmt::format("appended {}", core.length()));
        }
      });
}

int cmd_serve(Args args) {
  const Command& self = replication_commands()[0];
  auto flags = parse_flags(args);
  if (!flags || flags->positional.size() != 1 || !has_transport(*flags) || flags->blocks) {
    return usage_error(self);
  }
  auto version = parse_protocol(flags->protocol.value_or(flags->listen ? "8" : "auto"));
  if (!version) return usage_error(self);
  auto core = core::Core::open(std::string(flags->positional[0]), store::OpenMode::ReadWrite);
  if (!core) return report(core.error());
  Node node;
  node.replicator = std::make_unique<wire::Replicator>(&node.loop);
  if (auto s = node.replicator->add_core(**core, {.upload = true, .live = true}); !s) {
    return report(s.error());
  }
  if (auto s = connect_node(node, *flags, *version, wire::ProtocolVersion::V8,
                            crypto::NoiseRole::Responder);
      !s) {
    return report(s.error());
  }
  if (flags->append_stdin) start_stdin_appends(node, **core);
  uv_run(&node.loop, UV_RUN_DEFAULT);
  if (node.failure) return report(*node.failure);
  auto synced = (*core)->sync();
  if (!synced) return report(synced.error());
  return kExitOk;
}

int cmd_clone(Args args) {
  const Command& self = replication_commands()[1];
  auto flags = parse_flags(args);
  if (!flags || flags->positional.size() != 2 || !has_transport(*flags) ||
      flags->append_stdin) {
    return usage_error(self);
  }
  auto version =
      parse_protocol(flags->protocol.value_or(flags->peer || flags->stdio ? "auto" : "8"));
  if (!version) return usage_error(self);
  auto key = array_from_hex<crypto::kPublicKeySize>(flags->positional[0]);
  if (!key) return report(Error::invalid("'{}' is not a 64-digit hex key", flags->positional[0]));
  std::optional<std::vector<std::pair<uint64_t, uint64_t>>> ranges;
  if (flags->blocks) {
    ranges = parse_blocks(*flags->blocks);
    if (!ranges) return report(Error::invalid("bad --blocks '{}'", *flags->blocks));
  }
  auto core = core::Core::open_replica(std::string(flags->positional[1]), *key);
  if (!core) return report(core.error());
  core::Core& replica = **core;

  Node node;
  node.replicator = std::make_unique<wire::Replicator>(&node.loop);
  wire::Replicator& rep = *node.replicator;
  if (auto s = rep.add_core(replica, {.upload = true, .live = flags->live}); !s) {
    return report(s.error());
  }
  if (ranges) {
    for (auto [a, b] : *ranges) {
      if (auto s = rep.download(replica, a, b); !s) return report(s.error());
    }
  } else if (auto s = rep.download(replica, 0, std::nullopt); !s) {
    return report(s.error());
  }

  bool connected = false;
  bool finished = false;
  uint64_t last_present = UINT64_MAX;
  uint64_t last_length = UINT64_MAX;
  rep.set_on_change([&]() {
    if (rep.peer_count() > 0) connected = true;
    if (auto failure = rep.store_failure(replica)) {  // a full disk: nothing more can land
      node.failure = std::move(failure);
      node.stop();
      return;
    }
    if (flags->live) {
      if (replica.blocks_present() != last_present || replica.length() != last_length) {
        last_present = replica.blocks_present();
        last_length = replica.length();
        print_line(fmt::format("length {} present {}", last_length, last_present));
      }
      if (connected && rep.peer_count() == 0 && !flags->listen) {
        node.failure = Error::unavailable("the peer went away");
        node.stop();
      }
      return;
    }
    if (!finished && ranges && replica.length() > 0) {
      // Non-live: blocks past the signed length the peer proved will not come; say so instead
      // of waiting for them once everything below it is here.
      bool below_done = true;
      uint64_t past = 0;
      for (auto [a, b] : *ranges) {
        for (uint64_t i = a; i < std::min(b, replica.length()); ++i) below_done = below_done && replica.has(i);
        if (b > replica.length()) past = std::max(past, b);
      }
      if (below_done && past > 0) {
        node.failure = Error::not_found("blocks up to {} asked for, but the log has {} blocks",
                                        past - 1, replica.length());
        node.stop();
        return;
      }
    }
    if (!finished && rep.done(replica)) {
      finished = true;
      // Give the end of session (Status, Close, end of stream) a moment, then leave anyway.
      uv_timer_start(&node.linger, [](uv_timer_t* t) { static_cast<Node*>(t->data)->stop(); },
                     3000, 0);
    }
    if (finished && rep.peer_count() == 0) node.stop();
    if (!finished && connected && rep.peer_count() == 0 && !flags->listen) {
      node.failure = Error::unavailable("the peer went away before the clone was complete");
      node.stop();
    }
  });
  if (auto s = connect_node(node, *flags, *version, wire::ProtocolVersion::V8,
                            crypto::NoiseRole::Initiator);
      !s) {
    return report(s.error());
  }
  uv_run(&node.loop, UV_RUN_DEFAULT);
  if (auto s = replica.sync(); !s) return report(s.error());
  if (node.failure && !finished) return report(*node.failure);
  if (!finished && !flags->live) {
    return report(Error(Errc::Cancelled, node.interrupted ? "interrupted" : "clone incomplete"));
  }
  print_line(fmt::format("cloned: length {} present {} downloaded {}", replica.length(),
                         replica.blocks_present(), rep.stats().blocks_downloaded));
  return kExitOk;
}

constexpr Command kReplicationCommands[] = {
    {"core", "serve", "DIR (--listen HOST:PORT | --connect HOST:PORT | --stdio [--initiator]) [--protocol 7|8|auto] "
     "[--append-stdin]",
     "serve the core in DIR to peers, live, until SIGINT/SIGTERM (--append-stdin: append each "
     "line read from standard input; --stdio: one peer on standard input/output, as Noise "
     "responder unless --initiator, until it goes away)",
     cmd_serve},
    {"core", "clone", "KEY DIR (--peer HOST:PORT | --listen HOST:PORT | --stdio [--responder]) [--blocks A-B,...] "
     "[--live] [--protocol 7|8|auto]",
     "download the core KEY into DIR from a peer (only --blocks if given); exits when done unless "
     "--live (--stdio: the peer is on standard input/output, Noise initiator unless --responder; "
     "progress lines go to standard error)",
     cmd_clone},
};

}  // namespace

std::span<const Command> replication_commands() { return kReplicationCommands; }

}  // namespace hypermount::cli
