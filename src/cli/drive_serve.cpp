// `hypermount drive serve KEY`: serves the cores of a drive (metadata, content, and those of the
// drives mounted in it) over one connection per peer, live, until SIGINT/SIGTERM.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"
#include "node/host.hpp"
#include "node/trie_extension.hpp"

namespace hypermount::cli {

namespace {

int cmd_drive_serve(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store_dir = take_option(args, "--store").value_or(default_store());
  const Command& self = drive_serve_commands()[0];
  auto flags = parse_flags(args);
  if (!flags || flags->positional.size() != 1 || !has_transport(*flags) || flags->blocks ||
      flags->append_stdin) {
    return usage_error(self);
  }
  auto version = parse_protocol(flags->protocol.value_or(flags->listen ? "8" : "auto"));
  if (!version) return usage_error(self);
  auto source = parse_drive_source(flags->positional[0]);
  if (!source) return report(source.error());
  auto store = corestore::Corestore::open(store_dir);
  if (!store) return report(store.error());
  auto drive = drive::Drive::open(**store, source->key);
  if (!drive) return report(drive.error());
  if ((*drive)->content() == nullptr) {
    return report(Error::not_found("drive {} has no local data in {}", to_hex(source->key), store_dir));
  }
  Node node;
  node.replicator = std::make_unique<wire::Replicator>(&node.loop);
  for (core::Core* core : {&(*drive)->metadata(), (*drive)->content()}) {
    if (auto s = node.replicator->add_core(*core, {.upload = true, .live = true}); !s) {
      return report(s.error());
    }
  }
  if (auto s = node::answer_trie_extension_on(*node.replicator, (*drive)->metadata()); !s) return report(s.error());
  // The cores of mounted drives (and any other core the store holds) as peers ask for them.
  node::serve_store(*node.replicator, **store);
  if (auto s = connect_node(node, *flags, *version, wire::ProtocolVersion::V8,
                            crypto::NoiseRole::Responder);
      !s) {
    return report(s.error());
  }
  uv_run(&node.loop, UV_RUN_DEFAULT);
  if (node.failure) return report(*node.failure);
  return kExitOk;
}

constexpr Command kDriveServeCommands[] = {
    {"drive", "serve", "KEY (--listen HOST:PORT | --connect HOST:PORT | --stdio [--initiator]) [--protocol 7|8|auto] "
     "[--store DIR]",
     "serve a drive's metadata and content cores to peers, live, until SIGINT/SIGTERM (--stdio: "
     "one peer on standard input/output, as Noise responder unless --initiator)",
     cmd_drive_serve},
};

}  // namespace

std::span<const Command> drive_serve_commands() { return kDriveServeCommands; }

}  // namespace hypermount::cli
