// `hypermount drive ...`: plumbing commands over the drives of a store (no FUSE).
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/peer_node.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"
#include "node/drive_session.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <sstream>

namespace hypermount::cli {

namespace {

// The store and drive a command works on, from --store and the KEY argument; for the read
// commands also from --peer HOST:PORT (repeatable) and --protocol 7|8|auto: then the blocks an
// operation lacks are fetched from the peers on demand (sparse) into the store.
using Opened = std::unique_ptr<node::DriveSession>;

Result<Opened> open_drive(std::vector<std::string_view>& args, bool allow_peers = false) {
  node::SessionOptions options;
  options.store = take_option(args, "--store").value_or(default_store());
  options.no_data_hint = allow_peers ? " (give --peer HOST:PORT, or fetch it first)"
                                     : " (fetch it from a peer first)";
  if (allow_peers) {
    while (auto peer = take_option(args, "--peer")) options.peers.push_back(*peer);
    if (auto text = take_option(args, "--protocol")) {
      auto version = parse_protocol(*text);
      if (!version) return Error::invalid("--protocol: '{}' is not 7, 8 or auto", *text);
      options.protocol = *version;
    }
  }
  if (args.empty()) return Error::invalid("a drive key is needed");
  HM_TRY_ASSIGN(DriveSource source, parse_drive_source(args.front()));
  args.erase(args.begin());
  auto opened = std::make_unique<node::DriveSession>();
  HM_TRY(opened->open(source.key, options));
  if (source.version) opened->checkout(*source.version);
  return opened;
}

// The type letter ls -l shows (a drive mount is "m").
std::string type_letter(const drive::Stat& st) {
  if (st.mount) return "m";
  switch (st.type()) {
    case drive::kModeDirectory: return "d";
    case drive::kModeSymlink: return "l";
    case drive::kModeFifo: return "p";
    case drive::kModeSocket: return "s";
    case drive::kModeCharDevice: return "c";
    case drive::kModeBlockDevice: return "b";
    default: return "-";
  }
}

// The size column: a device's number as ls -l shows it ("8, 1"), else the size in bytes.
std::string size_column(const drive::Stat& st) {
  if (st.is_device() && st.device) {
    return fmt::format("{}, {}", st.device->major_id, st.device->minor_id);
  }
  return std::to_string(st.size);
}

int finish(Status status) { return status ? kExitOk : report(status.error()); }

int cmd_create(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store_dir = take_option(args, "--store").value_or(default_store());
  std::string name = take_option(args, "--name").value_or("drive");
  bool old_line = take_flag(args, "--v10.8");
  if (!args.empty()) return usage_error(drive_commands()[0]);
  auto store = corestore::Corestore::open(store_dir);
  if (!store) return report(store.error());
  auto line = old_line ? corestore::DriveLine::V10_8 : corestore::DriveLine::V10_21;
  auto drive = drive::Drive::open_own((*store)->namespace_(name), line);
  if (!drive) return report(drive.error());
  fmt::print("{}\n", to_hex((*drive)->key()));
  return kExitOk;
}

int cmd_ls(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args, true);
  if (!opened) return report(opened.error());
  if (args.size() > 1) return usage_error(drive_commands()[1]);
  node::DriveSession& d = **opened;
  std::string path = args.empty() ? "/" : std::string(args[0]);
  auto entries = d.run([&] { return d.active().readdir(path); });
  if (!entries) return report(entries.error());
  for (const auto& e : *entries) {
    fmt::print("{} {:>10} {}{}\n", type_letter(e.stat), size_column(e.stat), e.name,
               e.stat.linkname ? " -> " + *e.stat.linkname : "");
  }
  return kExitOk;
}

int cmd_stat(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args, true);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[2]) : report(opened.error());
  node::DriveSession& d = **opened;
  auto st = d.run([&] { return d.active().lstat(args[0]); });
  if (!st) return report(st.error());
  fmt::print("mode: {:o}\nsize: {}\nblocks: {}\noffset: {}\nbyte-offset: {}\nmtime-ms: {}\n"
             "ctime-ms: {}\nuid: {}\ngid: {}\n",
             st->mode, st->size, st->blocks, st->offset, st->byte_offset, st->mtime_ms,
             st->ctime_ms, st->uid, st->gid);
  if (st->linkname) fmt::print("linkname: {}\n", *st->linkname);
  if (st->device) fmt::print("device: {}:{}\n", st->device->major_id, st->device->minor_id);
  if (st->mount) fmt::print("mount: {}\n", to_hex(st->mount->key));
  for (const auto& name : st->xattr_names()) fmt::print("xattr: {}\n", name);
  return kExitOk;
}

int cmd_cat(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args, true);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[3]) : report(opened.error());
  node::DriveSession& d = **opened;
  auto st = d.run([&] { return d.active().lstat(args[0]); });
  if (!st) return report(st.error());
  // A piece at a time: each read fetches the blocks of its piece in one round (and large
  // files stream out).
  constexpr size_t kPiece = 32 * drive::Drive::kMaxBlockSize;
  uint64_t offset = 0;
  do {
    auto bytes = d.run([&] { return d.active().read(args[0], offset, kPiece); });
    if (!bytes) return report(bytes.error());
    std::cout.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    if (bytes->empty()) break;
    offset += bytes->size();
  } while (offset < st->size);
  return std::cout.flush() ? kExitOk : kExitError;
}

int cmd_put(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.empty() || args.size() > 2) return opened ? usage_error(drive_commands()[4]) : report(opened.error());
  if (args.size() == 2) {  // read piece by piece as it is appended
    auto file = store::File::open(std::string(args[1]), store::OpenMode::ReadOnly);
    if (!file || !file->exists()) return report(file ? Error::not_found("no file {}", args[1]) : file.error());
    auto size = file->size();
    if (!size) return report(size.error());
    Bytes piece;
    auto source = [&file, &piece](uint64_t offset, size_t length) -> Result<ByteView> {
      piece.resize(length);
      HM_TRY(file->read_exact(offset, piece));
      return ByteView(piece);
    };
    return finish((*opened)->active().write_file(args[0], *size, source, drive::Stat{}));
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Bytes data(text.begin(), text.end());
  return finish((*opened)->active().write_file(args[0], data, drive::Stat{}));
}

int cmd_mkdir(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[5]) : report(opened.error());
  return finish((*opened)->active().mkdir(args[0]));
}

int cmd_rm(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[6]) : report(opened.error());
  auto st = (*opened)->active().lstat(args[0]);
  if (!st) return report(st.error());
  if (st->mount && !st->mount->hypercore) {
    return report(Error{Errc::Busy, fmt::format("{} is a drive mount point: use drive unmount", args[0])});
  }
  if (st->is_directory()) return finish((*opened)->active().rmdir(args[0]));
  return finish((*opened)->active().unlink(args[0]));
}

int cmd_ln(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  if (!take_flag(args, "-s")) return usage_error(drive_commands()[9]);
  auto opened = open_drive(args);
  if (!opened || args.size() != 2) return opened ? usage_error(drive_commands()[9]) : report(opened.error());
  return finish((*opened)->active().symlink(args[0], args[1]));
}

int cmd_mount(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 2) return opened ? usage_error(drive_commands()[10]) : report(opened.error());
  auto mounted = parse_drive_source(args[1]);
  if (!mounted) return report(mounted.error());
  return finish((*opened)->active().mount(args[0], mounted->key, mounted->version));
}

int cmd_unmount(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[11]) : report(opened.error());
  return finish((*opened)->active().unmount(args[0]));
}

int cmd_mounts(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args, true);
  if (!opened || !args.empty()) return opened ? usage_error(drive_commands()[12]) : report(opened.error());
  node::DriveSession& d = **opened;
  auto mounts = d.run([&] { return d.active().mounts(true); });
  if (!mounts) return report(mounts.error());
  for (const auto& m : *mounts) {
    fmt::print("{} {}\n", m.path, drive::format_drive_url(m.key, m.version));
  }
  return kExitOk;
}

int cmd_symlink(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 2) return opened ? usage_error(drive_commands()[7]) : report(opened.error());
  return finish((*opened)->active().symlink(args[0], args[1]));
}

int cmd_xattr(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args, true);
  if (!opened || args.empty() || args.size() > 3) return opened ? usage_error(drive_commands()[8]) : report(opened.error());
  node::DriveSession& d = **opened;
  if (args.size() == 3 && d.fetcher() != nullptr) {
    return report(Error::invalid("setting an attribute needs the drive's keys; --peer is for reading"));
  }
  auto st = d.run([&] { return d.active().lstat(args[0]); });
  if (!st) return report(st.error());
  if (args.size() == 1) {
    for (const auto& name : st->xattr_names()) fmt::print("{}\n", name);
    return kExitOk;
  }
  if (args.size() == 2) {
    auto value = st->xattr(args[1]);
    if (!value) return report(Error::not_found("no attribute {} on {}", args[1], args[0]));
    std::cout.write(reinterpret_cast<const char*>(value->data()), static_cast<std::streamsize>(value->size()));
    return kExitOk;
  }
  drive::Stat updated = *st;
  updated.set_xattr(args[1], Bytes(args[2].begin(), args[2].end()));
  return finish(d.active().put_stat(args[0], updated));
}

constexpr Command kDriveCommands[] = {
    {"drive", "create", "[--store DIR] [--name NAME] [--v10.8]",
     "create a writable drive in the store and print its key (--v10.8: the 10.8.16 line)", cmd_create},
    {"drive", "ls", "KEY [PATH] [--store DIR] [--peer HOST:PORT]... [--protocol 7|8|auto]", "list a directory of a drive", cmd_ls},
    {"drive", "stat", "KEY PATH [--store DIR] [--peer HOST:PORT]... [--protocol 7|8|auto]", "print the Stat of an entry", cmd_stat},
    {"drive", "cat", "KEY PATH [--store DIR] [--peer HOST:PORT]... [--protocol 7|8|auto]", "write a file's bytes to standard output", cmd_cat},
    {"drive", "put", "KEY PATH [FILE] [--store DIR]",
     "write FILE (or standard input) to PATH of a writable drive", cmd_put},
    {"drive", "mkdir", "KEY PATH [--store DIR]", "create a directory", cmd_mkdir},
    {"drive", "rm", "KEY PATH [--store DIR]", "remove a file, symlink or empty directory", cmd_rm},
    {"drive", "symlink", "KEY TARGET PATH [--store DIR]", "create a symlink to TARGET",
     cmd_symlink},
    {"drive", "xattr", "KEY PATH [NAME [VALUE]] [--store DIR] [--peer HOST:PORT]... [--protocol 7|8|auto]",
     "list, print or set extended attributes", cmd_xattr},
    {"drive", "ln", "KEY -s TARGET PATH [--store DIR]", "create a symlink to TARGET (as drive symlink)", cmd_ln},
    {"drive", "mount", "KEY PATH MOUNTED-KEY[+VERSION] [--store DIR]",
     "mount another drive (at VERSION, or following its latest) at the new directory PATH", cmd_mount},
    {"drive", "unmount", "KEY PATH [--store DIR]", "remove the drive mount at PATH", cmd_unmount},
    {"drive", "mounts", "KEY [--store DIR] [--peer HOST:PORT]... [--protocol 7|8|auto]",
     "list every drive mounted in the drive, recursively: PATH hyper://KEY[+VERSION]", cmd_mounts},
};

}  // namespace

std::span<const Command> drive_commands() { return kDriveCommands; }

}  // namespace hypermount::cli
