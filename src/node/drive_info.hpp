// What `hypermount info` and a mount's user.hypermount.info attributes say about a drive: keys,
// version, files and bytes, how much of its cores is here, and its connected peers. Loop thread.
#pragma once

#include "drive/drive.hpp"
#include "drive/drive_history.hpp"
#include "wire/replicator.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hypermount::node {

struct CoreFigures {
  uint64_t length = 0;          // blocks in the log
  uint64_t blocks_present = 0;  // of them, here
  uint64_t byte_length = 0;
  std::optional<uint64_t> bytes_present;  // nullopt when the local tree cannot tell
};

struct DriveInfo {
  crypto::PublicKey key{};
  crypto::DiscoveryKey discovery_key{};
  bool writable = false;
  uint64_t version = 0;
  std::optional<drive::FileTotals> totals;  // nullopt when the metadata is not all here
  CoreFigures metadata;
  std::optional<CoreFigures> content;  // nullopt until metadata block 0 (naming it) is here
  // The connected peers of a running mount or seeder; nullopt for a drive read from the store.
  std::optional<std::vector<wire::PeerFigures>> peers;
};

// The figures of one core from its bitfield and tree (reads one block per run of present ones).
CoreFigures core_figures(core::Core& core);
// Gathers the figures of `drive` (its version: a checkout's), and of `replicator`'s peers if given.
DriveInfo drive_info(drive::Drive& drive, const wire::Replicator* replicator);

// "name: value" lines; a warning line when a peer has more of a core written here.
std::string info_text(const DriveInfo& info);
// One JSON object (keys as info_text's, snake_case), newline-terminated.
std::string info_json(const DriveInfo& info);

}  // namespace hypermount::node
