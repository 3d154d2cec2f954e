// `hypermount info`, `versions` and `diff`: what a drive is, how much of it is here, its peers
// when mounted, its history and what changed between two versions.
#include "cli/command.hpp"
#include "cli/drive_args.hpp"
#include "cli/exit_status.hpp"
#include "drive/drive_history.hpp"
#include "node/drive_info.hpp"
#include "util/json_writer.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace hypermount::cli {

namespace {

// The root attributes a mount answers with what `info` prints (fuse/drive_backend.cpp).
constexpr const char* kInfoAttr = "user.hypermount.info";
constexpr const char* kInfoJsonAttr = "user.hypermount.info.json";

bool is_directory(std::string_view path) {
  struct stat st {};
  return ::stat(std::string(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Reads the info attribute of the mount at `dir`.
Result<std::string> mount_info(const std::string& dir, bool json) {
  const char* name = json ? kInfoJsonAttr : kInfoAttr;
  std::string value(64 * 1024, '\0');
  ssize_t n = ::getxattr(dir.c_str(), name, value.data(), value.size());
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) {
      return Error::invalid("{} is a folder but not the root of a hypermount mount (give a drive key or a mount point)", dir);
    }
    return Error::io(errno, "reading {} of {}", name, dir);
  }
  value.resize(static_cast<size_t>(n));
  return value;
}

std::string time_text(std::optional<uint64_t> ms) {
  if (!ms) return "-";
  auto tp = std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(tp)));
}

int cmd_info(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  bool json = take_flag(args, "--json");
  if (args.size() != 1) return usage_error(info_commands()[0]);
  if (is_directory(args[0])) {
    auto text = mount_info(std::string(args[0]), json);
    if (!text) return report(text.error());
    fmt::print("{}", *text);
    return kExitOk;
  }
  auto source = parse_key_arg(args[0]);
  if (!source) return report(source.error());
  auto local = open_local_drive(store, source->key);
  if (!local) return report(local.error());
  std::unique_ptr<drive::Drive> view;
  if (source->version) view = local->drive->checkout(*source->version);
  const node::DriveInfo info = node::drive_info(view ? *view : *local->drive, nullptr);
  fmt::print("{}", json ? node::info_json(info) : node::info_text(info));
  if (auto dir = mount_point_of(source->key); dir && !json) {
    fmt::print("mounted-at: {} (hypermount info {} adds its peers)\n", *dir, *dir);
  }
  return kExitOk;
}

bool under(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (prefix.back() == '/') prefix.remove_suffix(1);
  return path == prefix || (path.starts_with(prefix) && path.size() > prefix.size() && path[prefix.size()] == '/');
}

int cmd_versions(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  bool json = take_flag(args, "--json");
  if (args.empty() || args.size() > 2) return usage_error(info_commands()[1]);
  auto source = parse_key_arg(args[0]);
  if (!source) return report(source.error());
  std::string_view prefix = args.size() == 2 ? args[1] : "/";
  auto local = open_local_drive(store, source->key);
  if (!local) return report(local.error());
  auto history = drive::history(local->drive->metadata());
  if (!history) return report(history.error());
  JsonWriter out;
  out.begin_array();
  for (const auto& version : *history) {
    for (const auto& change : version.changes) {
      if (!under(change.path, prefix)) continue;
      const char* op = change.kind == drive::PathChange::Kind::Put ? "put" : "del";
      if (json) {
        std::optional<std::string> time;
        if (version.mtime_ms) time = time_text(version.mtime_ms);
        out.begin_object().field("version", version.version).field("time", time);
        out.field("op", op).field("path", change.path).field("mount_record", change.hidden).end_object();
      } else {
        fmt::print("{} {} {} {}{}\n", version.version, time_text(version.mtime_ms), op, change.path,
                   change.hidden ? " (drive mount record)" : "");
      }
    }
  }
  out.end_array();
  if (json) fmt::print("{}\n", out.text());
  return kExitOk;
}

Result<uint64_t> version_arg(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return Error::invalid("'{}' is not a version number", text);
  return v;
}

int cmd_diff(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  bool json = take_flag(args, "--json");
  if (args.size() != 3) return usage_error(info_commands()[2]);
  auto source = parse_key_arg(args[0]);
  if (!source) return report(source.error());
  auto a = version_arg(args[1]);
  auto b = version_arg(args[2]);
  if (!a || !b) return report(a ? b.error() : a.error());
  auto local = open_local_drive(store, source->key);
  if (!local) return report(local.error());
  auto from = drive::state_at(local->drive->metadata(), *a);
  if (!from) return report(from.error());
  auto to = drive::state_at(local->drive->metadata(), *b);
  if (!to) return report(to.error());
  const drive::StateDiff diff = drive::diff_states(*from, *to);
  if (json) {
    JsonWriter out;
    out.begin_object();
    for (auto [name, paths] : {std::pair{"added", &diff.added}, {"removed", &diff.removed}, {"modified", &diff.modified}}) {
      out.key(name).begin_array();
      for (const auto& p : *paths) out.value(p);
      out.end_array();
    }
    out.end_object();
    fmt::print("{}\n", out.text());
    return kExitOk;
  }
  for (const auto& p : diff.added) fmt::print("A {}\n", p);
  for (const auto& p : diff.removed) fmt::print("D {}\n", p);
  for (const auto& p : diff.modified) fmt::print("M {}\n", p);
  return kExitOk;
}

constexpr Command kInfoCommands[] = {
    {"", "info", "KEY[+VERSION] | MOUNTPOINT [--store DIR] [--json]",
     "a drive's keys, version, files and bytes, how much of it is here; for a mount point also its peers", cmd_info},
    {"", "versions", "KEY [PATH] [--store DIR] [--json]",
     "the drive's history: VERSION TIME put|del PATH, oldest first (PATH: only what is at or below it)", cmd_versions},
    {"", "diff", "KEY A B [--store DIR] [--json]",
     "the paths added (A), removed (D) and modified (M) from version A to version B", cmd_diff},
};

}  // namespace

std::span<const Command> info_commands() { return kInfoCommands; }

}  // namespace hypermount::cli
