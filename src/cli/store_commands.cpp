// `hypermount list` and `purge`: the drives a store holds (own and remote) with their sizes, and
// deleting one drive's local data.
#include "cli/command.hpp"
#include "cli/drive_args.hpp"
#include "cli/exit_status.hpp"
#include "corestore/layout.hpp"
#include "node/drive_info.hpp"
#include "trie/node.hpp"
#include "util/json_writer.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>
#include <system_error>

namespace hypermount::cli {

namespace {

namespace fs = std::filesystem;

// One core folder of the store, opened read-only (no lock: a running mount may hold it).
struct StoredCore {
  std::unique_ptr<core::Core> core;
  bool own = false;                               // its keys are here (name or secret_key file)
  std::optional<crypto::PublicKey> content_key;  // a drive's metadata core: its content core
};

bool is_hex(const std::string& s, size_t length) {
  return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Every core folder under `root` (<2 hex>/<2 hex>/<64 hex> with a key file), by discovery key.
std::map<crypto::DiscoveryKey, StoredCore> stored_cores(const std::string& root) {
  std::map<crypto::DiscoveryKey, StoredCore> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it.depth() != 2 || !it->is_directory(ec) || !is_hex(it->path().filename().string(), 64)) continue;
    const std::string dir = it->path().string();
    auto core = core::Core::open(dir, store::OpenMode::ReadOnly);
    if (!core) continue;  // not a core folder (or unreadable): nothing to list
    StoredCore stored;
    stored.own = (*core)->writable() || fs::exists(dir + "/" + std::string(corestore::kNameFile), ec);
    if ((*core)->has(0)) {
      auto block = (*core)->get(0);
      auto header = block ? trie::decode_header(*block) : Result<trie::Header>(block.error());
      if (header && header->type == trie::kHeaderType && header->metadata &&
          header->metadata->size() == crypto::kPublicKeySize) {
        crypto::PublicKey content{};
        std::copy(header->metadata->begin(), header->metadata->end(), content.begin());
        stored.content_key = content;
      }
    }
    stored.core = std::move(*core);
    out.emplace(stored.core->discovery_key(), std::move(stored));
  }
  return out;
}

int cmd_list(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  bool json = take_flag(args, "--json");
  if (!args.empty()) return usage_error(store_commands()[0]);
  if (!fs::is_directory(store)) return report(Error::not_found("there is no store at {}", store));
  auto cores = stored_cores(store);
  std::set<crypto::DiscoveryKey> content_cores;
  for (const auto& [dk, c] : cores) {
    if (c.content_key) content_cores.insert(crypto::discovery_key(*c.content_key));
  }
  JsonWriter out;
  out.begin_array();
  for (auto& [dk, c] : cores) {
    if (content_cores.contains(dk)) continue;  // listed with its drive
    node::CoreFigures total = node::core_figures(*c.core);
    total.length = c.core->length();  // the drive's version
    if (c.content_key) {
      auto content = cores.find(crypto::discovery_key(*c.content_key));
      if (content != cores.end()) {
        node::CoreFigures figures = node::core_figures(*content->second.core);
        total.byte_length += figures.byte_length;
        total.bytes_present = total.bytes_present && figures.bytes_present
                                  ? std::optional(*total.bytes_present + *figures.bytes_present)
                                  : std::nullopt;
      }
    }
    const char* kind = c.content_key ? "drive" : "core";
    const std::string here = total.bytes_present ? std::to_string(*total.bytes_present) : "?";
    if (json) {
      out.begin_object().field("key", to_hex(c.core->key())).field("kind", kind).field("own", c.own);
      out.field("version", total.length).field("bytes", total.byte_length);
      out.field("bytes_here", total.bytes_present).end_object();
    } else {
      fmt::print("{} {} {} version {} {}/{} bytes here\n", to_hex(c.core->key()), c.own ? "own" : "remote", kind,
                 total.length, here, total.byte_length);
    }
  }
  out.end_array();
  if (json) fmt::print("{}\n", out.text());
  return kExitOk;
}

// Bytes of the files in `dir`.
uint64_t folder_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

int cmd_purge(Args in) {
  std::vector<std::string_view> args(in.begin(), in.end());
  std::string store = take_option(args, "--store").value_or(default_store());
  bool force = take_flag(args, "--force");
  if (args.size() != 1) return usage_error(store_commands()[1]);
  auto source = parse_key_arg(args[0]);
  if (!source) return report(source.error());
  // Opening locks the drive's cores: a mount or seeder holding them is named here.
  auto local = open_local_drive(store, source->key);
  if (!local) {
    const Error& e = local.error();
    return report(e.code() == Errc::Unavailable ? Error(e.code(), "cannot purge: " + e.message()) : e);
  }
  std::vector<std::string> dirs{local->drive->metadata().dir()};
  bool own = local->drive->metadata().writable();
  if (core::Core* content = local->drive->content()) {
    dirs.push_back(content->dir());
    own = own || content->writable();
  }
  if (own && !force) {
    return report(Error::invalid(
        "drive {} is written here: purging deletes its keys too, and then nobody can write it again; "
        "save them first with `hypermount keys export KEY > FILE`, then purge with --force",
        short_dk(crypto::discovery_key(source->key))));
  }
  local->drive.reset();  // closes the cores (and their locks) before deleting
  local->store.reset();
  uint64_t bytes = 0;
  for (const auto& dir : dirs) {
    bytes += folder_bytes(dir);
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) return report(Error::io(ec.value(), "removing {}", dir));
  }
  fmt::print("purged drive {}{}: {} bytes freed\n", short_dk(crypto::discovery_key(source->key)),
             own ? " and its keys" : "", bytes);
  return kExitOk;
}

constexpr Command kStoreCommands[] = {
    {"", "list", "[--store DIR] [--json]",
     "the drives (and other cores) of a store: KEY own|remote drive|core version N HERE/TOTAL bytes here", cmd_list},
    {"", "purge", "KEY [--store DIR] [--force]",
     "delete a drive's local data (a drive written here, with its keys, only with --force)", cmd_purge},
};

}  // namespace

std::span<const Command> store_commands() { return kStoreCommands; }

}  // namespace hypermount::cli
