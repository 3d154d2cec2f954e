// A drive's history read from its metadata log: what each version changed (put or delete of
// which path), the entries at a version and what changed between two. Loop thread only.
#pragma once

#include "core/core.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hypermount::drive {

// The entries of a drive's trie at one version: (hidden, key) -> value bytes (a node without a
// value holds an empty value). Hidden keys are the records of drive mounts (hyperdrive.md §9).
using TrieState = std::map<std::pair<bool, std::string>, Bytes>;

struct PathChange {
  enum class Kind { Put, Del };
  Kind kind = Kind::Put;
  std::string path;     // "/" + key
  bool hidden = false;  // a drive mount's record, not a visible entry
};

// The change that made `version` (its node is block version - 1 of the metadata log).
struct VersionChange {
  uint64_t version = 0;
  std::optional<uint64_t> mtime_ms;  // a visible put's Stat mtime
  std::vector<PathChange> changes;  // usually one; a delete that emptied several may list more
};

struct StateDiff {
  std::vector<std::string> added, removed, modified;  // paths ("/" + key), hidden ones left out
};

// What changed between two states (by key and value bytes; visible entries only). Pure.
StateDiff diff_states(const TrieState& from, const TrieState& to);

// The entries of the drive whose metadata log is `metadata` at `version` (its length, 1 and up).
// Unavailable (naming a block) when a node it needs is not local.
Result<TrieState> state_at(core::Core& metadata, uint64_t version);

// Every version's change from version 2 (the first node) to the log's length, oldest first.
// A hypertrie delete writes no tombstone but re-writes a neighbour (hypertrie.md §9): a node
// that repeats its key's value, or the empty marker, is resolved by listing the trie after it.
// Unavailable when a block of the log is not local.
Result<std::vector<VersionChange>> history(core::Core& metadata);

// Regular files and their bytes in a state (visible entries whose Stat says a regular file).
struct FileTotals {
  uint64_t files = 0;
  uint64_t bytes = 0;
};
FileTotals file_totals(const TrieState& state);

}  // namespace hypermount::drive
