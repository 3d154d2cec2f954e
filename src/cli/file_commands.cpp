// `hypermount create`, `import` and `export`: drives to and from plain folders, keeping
// permissions, owners, times, symlinks, extended attributes and empty folders.
#include "cli/command.hpp"
#include "cli/drive_path_arg.hpp"
#include "cli/exit_status.hpp"
#include "cli/folder_export.hpp"
#include "cli/folder_import.hpp"
#include "cli/interrupts.hpp"
#include "cli/progress.hpp"
#include "cli/store_args.hpp"
#include "node/drive_session.hpp"

#include <fmt/format.h>

namespace hypermount::cli {

namespace {

// Reports a failure; an interrupted command says how to go on.
int outcome(const Status& status, std::string_view again) {
  if (status) return kExitOk;
  if (status.error().code() == Errc::Cancelled) {
    fmt::print(stderr, "hypermount: interrupted; {}\n", again);
    return kExitIncomplete;
  }
  return report(status.error());
}

int cmd_create(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store_dir = take_option(args, "--store").value_or(default_store());
  const bool old_line = take_flag(args, "--v10.8");
  Progress progress("create", Progress::mode_for(take_flag(args, "-q")));
  if (args.size() > 1) return usage_error(file_commands()[0]);
  auto store = corestore::Corestore::open(store_dir);
  if (!store) return report(store.error());
  // Each drive its own namespace of the store's master key.
  uint8_t tag[8];
  crypto::random_bytes(tag, sizeof(tag));
  auto line = old_line ? corestore::DriveLine::V10_8 : corestore::DriveLine::V10_21;
  auto drive = drive::Drive::open_own((*store)->namespace_("drive-" + to_hex(ByteView(tag))), line);
  if (!drive) return report(drive.error());
  const std::string url = drive::format_drive_url((*drive)->key(), std::nullopt);
  if (args.empty()) {
    fmt::print("{}\n", url);
    return kExitOk;
  }
  catch_interrupts();
  Status imported = import_folder(**drive, std::string(args[0]), "/", {}, progress);
  progress.finish();
  fmt::print("{}\n", url);  // also when interrupted: `import` goes on with it
  return outcome(imported, fmt::format("`hypermount import {} {}` continues", args[0], url));
}

int cmd_import(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  node::SessionOptions options;
  options.store = take_option(args, "--store").value_or(default_store());
  Progress progress("import", Progress::mode_for(take_flag(args, "-q")));
  if (args.size() != 2) return usage_error(file_commands()[1]);
  auto target = parse_drive_path(args[1]);
  if (!target) return report(target.error());
  if (target->drive.version) return report(Error::invalid("a version (+N) of a drive cannot be written"));
  node::DriveSession session;
  if (auto s = session.open(target->drive.key, options); !s) return report(s.error());
  if (!session.drive().writable()) {
    return report(Error::read_only("drive {} is not writable here (its keys are not in {})", short_dk(crypto::discovery_key(target->drive.key)), options.store));
  }
  catch_interrupts();
  Status imported = import_folder(session.drive(), std::string(args[0]), target->path, {.skip_unchanged = true}, progress);
  progress.finish();
  return outcome(imported, "run it again to continue");
}

int cmd_export(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  node::SessionOptions options;
  options.store = take_option(args, "--store").value_or(default_store());
  while (auto peer = take_option(args, "--peer")) options.peers.push_back(*peer);
  options.no_data_hint = " (give --peer HOST:PORT, or sync it first)";
  Progress progress("export", Progress::mode_for(take_flag(args, "-q")));
  if (args.size() != 2) return usage_error(file_commands()[2]);
  auto source = parse_drive_path(args[0]);
  if (!source) return report(source.error());
  node::DriveSession session;
  if (auto s = session.open(source->drive.key, options); !s) return report(s.error());
  if (source->drive.version) session.checkout(*source->drive.version);
  catch_interrupts();
  Status exported = export_tree(session, source->path, std::string(args[1]), progress);
  progress.finish();
  return outcome(exported, "run it again to finish");
}

constexpr Command kFileCommands[] = {
    {"", "create", "[DIR] [--store S] [--v10.8] [-q]",
     "create a writable drive (with the contents of DIR) and print its hyper:// key", cmd_create},
    {"", "import", "DIR KEY[/PATH] [--store S] [-q]",
     "copy the folder DIR into a writable drive (unchanged files are skipped)", cmd_import},
    {"", "export", "KEY[+VERSION][/PATH] DIR [--store S] [--peer HOST:PORT]... [-q]",
     "copy a drive (or PATH in it) into the folder DIR", cmd_export},
};

}  // namespace

std::span<const Command> file_commands() { return kFileCommands; }

}  // namespace hypermount::cli
