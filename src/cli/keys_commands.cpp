// `hypermount keys export` and `keys import`: backing up a writable drive's keys and moving the
// drive to another store, where it is then writable.
#include "cli/command.hpp"
#include "cli/drive_args.hpp"
#include "cli/exit_status.hpp"
#include "core/storage.hpp"
#include "drive/key_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

namespace hypermount::cli {

namespace {

constexpr std::string_view kOneStore =
    "a drive must never be written from two stores: once imported, write it from the new store only";

Result<drive::CoreKeys> keys_of(core::Core& core, std::string_view what) {
  if (!core.secret_key()) return Error::read_only("the drive's {} core is not written here: there are no keys to export", what);
  return drive::CoreKeys{crypto::KeyPair{core.key(), *core.secret_key()}, core.length()};
}

int cmd_export(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  if (args.size() != 1) return usage_error(keys_commands()[0]);
  auto source = parse_key_arg(args[0]);
  if (!source) return report(source.error());
  auto local = open_local_drive(store, source->key);
  if (!local) return report(local.error());
  drive::Drive& d = *local->drive;
  if (d.content() == nullptr) return report(Error::not_found("the drive's first block, naming its content core, is not here"));
  drive::DriveKeys keys;
  auto metadata = keys_of(d.metadata(), "metadata");
  auto content = keys_of(*d.content(), "content");
  if (!metadata || !content) return report(metadata ? content.error() : metadata.error());
  keys.metadata = *metadata;
  keys.content = *content;
  if (::isatty(STDOUT_FILENO)) {
    fmt::print(stderr, "hypermount: warning: printing the drive's secret keys to a terminal; "
                       "save them to a file instead: hypermount keys export KEY > FILE\n");
  }
  fmt::print("{}", drive::format_key_file(keys));
  std::fflush(stdout);
  fmt::print(stderr, "hypermount: keep the keys secret: whoever has them can write the drive; {}\n", kOneStore);
  return kExitOk;
}

// Makes the core of `keys` writable in `store`: a new core with a secret_key file, or an existing
// replica given one. Returns the core's local length.
Result<uint64_t> install(corestore::Corestore& store, const drive::CoreKeys& keys) {
  const crypto::DiscoveryKey dk = crypto::discovery_key(keys.pair.public_key);
  const bool existed = store.has_core(dk);
  HM_TRY_ASSIGN(auto core, store.get_with_key_pair(keys.pair));  // locks it: a mount is named
  if (existed && !std::filesystem::exists(core->dir() + "/secret_key")) {
    HM_TRY_ASSIGN(auto storage, core::CoreStorage::open(core->dir(), store::OpenMode::ReadWrite));
    HM_TRY(storage.write_secret_key(keys.pair.secret_key));
  }
  return core->length();
}

int cmd_import(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store_dir = take_option(args, "--store").value_or(default_store());
  if (args.size() != 1) return usage_error(keys_commands()[1]);
  auto file = store::File::open(std::string(args[0]), store::OpenMode::ReadOnly);
  if (!file || !file->exists()) return report(file ? Error::not_found("no file {}", args[0]) : file.error());
  Bytes text(drive::kMaxKeyFileSize + 1);
  auto n = file->read(0, text);
  if (!n) return report(n.error());
  auto keys = drive::parse_key_file(std::string_view(reinterpret_cast<const char*>(text.data()), *n));
  if (!keys) return report(Error::invalid("{}: {}", args[0], keys.error().message()));
  auto store = corestore::Corestore::open(store_dir);
  if (!store) return report(store.error());
  // A writer never downloads its own core, and a write at a shorter length forks the drive:
  // the data must be here before the keys.
  for (auto [what, core] : {std::pair{"drive", &keys->metadata}, {"content", &keys->content}}) {
    const crypto::DiscoveryKey dk = crypto::discovery_key(core->pair.public_key);
    uint64_t here = 0;
    if ((*store)->has_core(dk)) {
      auto replica = (*store)->get(core->pair.public_key);
      if (!replica) return report(explain_in_use(replica.error(), keys->metadata.pair.public_key));
      here = (*replica)->length();
    }
    if (here < core->length) {
      return report(Error::invalid(
          "the store {} has {} of the {} blocks the drive's {} core had when its keys were exported: "
          "fetch the drive into this store first (hypermount drive ls/cat KEY --peer HOST:PORT, or mount it "
          "with its peers), then import the keys; writing it shorter would fork it",
          store_dir, here, core->length, what));
    }
  }
  for (const drive::CoreKeys* core : {&keys->metadata, &keys->content}) {
    auto installed = install(**store, *core);
    if (!installed) return report(explain_in_use(installed.error(), keys->metadata.pair.public_key));
  }
  fmt::print("{}\n", to_hex(keys->metadata.pair.public_key));
  fmt::print(stderr, "hypermount: the drive is writable in {}; {}\n", store_dir, kOneStore);
  return kExitOk;
}

constexpr Command kKeysCommands[] = {
    {"keys", "export", "KEY [--store DIR] > FILE",
     "write a drive's secret keys (a drive written here) to standard output, for keys import", cmd_export},
    {"keys", "import", "FILE [--store DIR]",
     "make the drive of an exported key file writable in the store (its data must be here first)", cmd_import},
};

}  // namespace

std::span<const Command> keys_commands() { return kKeysCommands; }

}  // namespace hypermount::cli
