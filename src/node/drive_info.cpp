#include "node/drive_info.hpp"

#include "util/json_writer.hpp"

#include <fmt/format.h>

namespace hypermount::node {

namespace {

// Bytes of the present blocks [first, end) of `core`.
Result<uint64_t> run_bytes(core::Core& core, uint64_t first, uint64_t end) {
  HM_TRY_ASSIGN(uint64_t start, core.block_offset(first));
  if (end == core.length()) return core.byte_length() - start;
  HM_TRY_ASSIGN(uint64_t last_offset, core.block_offset(end - 1));
  HM_TRY_ASSIGN(Bytes last, core.get_unchecked(end - 1));
  return last_offset + last.size() - start;
}

bool any_ahead(const DriveInfo& info) {
  if (!info.writable || !info.peers) return false;
  for (const auto& peer : *info.peers) {
    if (!peer.ahead.empty()) return true;
  }
  return false;
}

constexpr std::string_view kAheadWarning =
    "a peer has more of this drive than this store, which writes it: it was written from another "
    "store too; a drive must be written from one store only";

std::string version_name(const std::optional<wire::ProtocolVersion>& version) {
  if (!version) return "-";
  return *version == wire::ProtocolVersion::V7 ? "7" : "8";
}

std::string core_line(const CoreFigures& c) {
  return fmt::format("{}/{} blocks, {}/{} bytes here", c.blocks_present, c.length,
                     c.bytes_present ? std::to_string(*c.bytes_present) : "?", c.byte_length);
}

void core_json(JsonWriter& json, const CoreFigures& c) {
  json.begin_object().field("length", c.length).field("blocks_present", c.blocks_present);
  json.field("byte_length", c.byte_length).field("bytes_present", c.bytes_present).end_object();
}

}  // namespace

CoreFigures core_figures(core::Core& core) {
  CoreFigures figures{core.length(), core.blocks_present(), core.byte_length(), uint64_t{0}};
  for (uint64_t block = 0; block < core.length() && figures.bytes_present;) {
    if (!core.has(block)) {
      ++block;
      continue;
    }
    uint64_t end = block;
    while (end < core.length() && core.has(end)) ++end;
    auto bytes = run_bytes(core, block, end);
    figures.bytes_present = bytes ? std::optional(*figures.bytes_present + *bytes) : std::nullopt;
    block = end;
  }
  return figures;
}

DriveInfo drive_info(drive::Drive& drive, const wire::Replicator* replicator) {
  DriveInfo info;
  info.key = drive.key();
  info.discovery_key = drive.metadata().discovery_key();
  info.writable = drive.writable();
  info.version = drive.version();
  if (auto state = drive::state_at(drive.metadata(), std::max<uint64_t>(info.version, 1))) {
    info.totals = drive::file_totals(*state);
  }
  info.metadata = core_figures(drive.metadata());
  if (drive.content() != nullptr) info.content = core_figures(*drive.content());
  if (replicator != nullptr) info.peers = replicator->peer_figures();
  return info;
}

std::string info_text(const DriveInfo& info) {
  std::string out = fmt::format("key: {}\ndiscovery-key: {}\nwritable: {}\nversion: {}\n", to_hex(info.key),
                                to_hex(info.discovery_key), info.writable ? "yes" : "no", info.version);
  if (info.totals) {
    out += fmt::format("files: {}\nbytes: {}\n", info.totals->files, info.totals->bytes);
  } else {
    out += "files: ? (the metadata is not all here)\nbytes: ?\n";
  }
  out += fmt::format("metadata: {}\n", core_line(info.metadata));
  out += info.content ? fmt::format("content: {}\n", core_line(*info.content))
                      : "content: ? (metadata block 0, which names it, is not here)\n";
  if (info.peers) {
    uint64_t up = 0, down = 0;
    for (const auto& p : *info.peers) {
      up += p.bytes_sent;
      down += p.bytes_received;
    }
    out += fmt::format("peers: {}\nbytes-up: {}\nbytes-down: {}\n", info.peers->size(), up, down);
    for (const auto& p : *info.peers) {
      out += fmt::format("peer: {} {} protocol {} up {} down {}{}\n", p.address, p.transport, version_name(p.version),
                         p.bytes_sent, p.bytes_received, p.ahead.empty() ? "" : " ahead");
    }
  }
  if (any_ahead(info)) out += fmt::format("warning: {}\n", kAheadWarning);
  return out;
}

std::string info_json(const DriveInfo& info) {
  JsonWriter json;
  json.begin_object().field("key", to_hex(info.key)).field("discovery_key", to_hex(info.discovery_key));
  json.field("writable", info.writable).field("version", info.version);
  if (info.totals) {
    json.field("files", info.totals->files).field("bytes", info.totals->bytes);
  } else {
    json.key("files").null().key("bytes").null();
  }
  json.key("metadata");
  core_json(json, info.metadata);
  json.key("content");
  if (info.content) {
    core_json(json, *info.content);
  } else {
    json.null();
  }
  if (info.peers) {
    json.key("peers").begin_array();
    for (const auto& p : *info.peers) {
      json.begin_object().field("address", p.address).field("transport", p.transport);
      std::optional<uint64_t> protocol;
      if (p.version) protocol = *p.version == wire::ProtocolVersion::V7 ? 7u : 8u;
      json.field("protocol", protocol);
      json.field("bytes_up", p.bytes_sent).field("bytes_down", p.bytes_received);
      json.field("ahead", !p.ahead.empty()).end_object();
    }
    json.end_array();
  }
  json.field("conflict_warning", any_ahead(info));
  json.end_object();
  return json.text() + "\n";
}

}  // namespace hypermount::node
