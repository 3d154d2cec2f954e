// `hypermount drive ...`: plumbing commands over the drives of a store (no FUSE).
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "cli/store_args.hpp"
#include "drive/drive.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <sstream>

namespace hypermount::cli {

namespace {

// The store and drive a command works on, from --store and the KEY argument.
struct Opened {
  std::unique_ptr<corestore::Corestore> store;
  std::unique_ptr<drive::Drive> base;   // the drive a checkout reads from; outlives it
  std::unique_ptr<drive::Drive> drive;  // what the command works on: base or a checkout of it
};

Result<Opened> open_drive(std::vector<std::string_view>& args) {
  std::string store_dir = take_option(args, "--store").value_or(default_store());
  if (args.empty()) return Error::invalid("a drive key is needed");
  HM_TRY_ASSIGN(DriveSource source, parse_drive_source(args.front()));
  args.erase(args.begin());
  Opened opened;
  HM_TRY_ASSIGN(opened.store, corestore::Corestore::open(store_dir));
  HM_TRY_ASSIGN(opened.drive, drive::Drive::open(*opened.store, source.key));
  if (opened.drive->version() == 0) {
    return Error::not_found("drive {} has no local data in {} (fetch it from a peer first)",
                            to_hex(source.key), store_dir);
  }
  if (source.version) {
    opened.base = std::move(opened.drive);
    opened.drive = opened.base->checkout(*source.version);
  }
  return opened;
}

std::string type_letter(const drive::Stat& st) {
  if (st.mount) return "m";
  if (st.is_directory()) return "d";
  if (st.is_symlink()) return "l";
  return "-";
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
  auto opened = open_drive(args);
  if (!opened) return report(opened.error());
  std::string path = args.empty() ? "/" : std::string(args[0]);
  auto entries = opened->drive->readdir(path);
  if (!entries) return report(entries.error());
  for (const auto& e : *entries) {
    fmt::print("{} {:>10} {}{}\n", type_letter(e.stat), e.stat.size, e.name,
               e.stat.linkname ? " -> " + *e.stat.linkname : "");
  }
  return kExitOk;
}

int cmd_stat(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[2]) : report(opened.error());
  auto st = opened->drive->lstat(args[0]);
  if (!st) return report(st.error());
  fmt::print("mode: {:o}\nsize: {}\nblocks: {}\noffset: {}\nbyte-offset: {}\nmtime-ms: {}\n"
             "ctime-ms: {}\nuid: {}\ngid: {}\n",
             st->mode, st->size, st->blocks, st->offset, st->byte_offset, st->mtime_ms,
             st->ctime_ms, st->uid, st->gid);
  if (st->linkname) fmt::print("linkname: {}\n", *st->linkname);
  if (st->mount) fmt::print("mount: {}\n", to_hex(st->mount->key));
  for (const auto& name : st->xattr_names()) fmt::print("xattr: {}\n", name);
  return kExitOk;
}

int cmd_cat(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[3]) : report(opened.error());
  auto bytes = opened->drive->read_file(args[0]);
  if (!bytes) return report(bytes.error());
  std::cout.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  return std::cout.flush() ? kExitOk : kExitError;
}

int cmd_put(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.empty() || args.size() > 2) return opened ? usage_error(drive_commands()[4]) : report(opened.error());
  Bytes data;
  if (args.size() == 2) {
    auto file = store::File::open(std::string(args[1]), store::OpenMode::ReadOnly);
    if (!file || !file->exists()) return report(file ? Error::not_found("no file {}", args[1]) : file.error());
    auto bytes = file->read_all();
    if (!bytes) return report(bytes.error());
    data = std::move(*bytes);
  } else {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    data.assign(text.begin(), text.end());
  }
  return finish(opened->drive->write_file(args[0], data, drive::Stat{}));
}

int cmd_mkdir(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[5]) : report(opened.error());
  return finish(opened->drive->mkdir(args[0]));
}

int cmd_rm(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 1) return opened ? usage_error(drive_commands()[6]) : report(opened.error());
  auto st = opened->drive->lstat(args[0]);
  if (!st) return report(st.error());
  if (st->is_directory() && !st->mount) return finish(opened->drive->rmdir(args[0]));
  return finish(opened->drive->unlink(args[0]));
}

int cmd_symlink(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.size() != 2) return opened ? usage_error(drive_commands()[7]) : report(opened.error());
  return finish(opened->drive->symlink(args[0], args[1]));
}

int cmd_xattr(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  auto opened = open_drive(args);
  if (!opened || args.empty() || args.size() > 3) return opened ? usage_error(drive_commands()[8]) : report(opened.error());
  auto st = opened->drive->lstat(args[0]);
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
  return finish(opened->drive->put_stat(args[0], updated));
}

constexpr Command kDriveCommands[] = {
    {"drive", "create", "[--store DIR] [--name NAME] [--v10.8]",
     "create a writable drive in the store and print its key", cmd_create},
    {"drive", "ls", "KEY [PATH] [--store DIR]", "list a directory of a drive", cmd_ls},
    {"drive", "stat", "KEY PATH [--store DIR]", "print the Stat of an entry", cmd_stat},
    {"drive", "cat", "KEY PATH [--store DIR]", "write a file's bytes to standard output", cmd_cat},
    {"drive", "put", "KEY PATH [FILE] [--store DIR]",
     "write FILE (or standard input) to PATH of a writable drive", cmd_put},
    {"drive", "mkdir", "KEY PATH [--store DIR]", "create a directory", cmd_mkdir},
    {"drive", "rm", "KEY PATH [--store DIR]", "remove a file, symlink or empty directory", cmd_rm},
    {"drive", "symlink", "KEY TARGET PATH [--store DIR]", "create a symlink to TARGET",
     cmd_symlink},
    {"drive", "xattr", "KEY PATH [NAME [VALUE]] [--store DIR]",
     "list, print or set extended attributes", cmd_xattr},
};

}  // namespace

std::span<const Command> drive_commands() { return kDriveCommands; }

}  // namespace hypermount::cli
