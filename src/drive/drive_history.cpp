#include "drive/drive_history.hpp"

#include "drive/stat.hpp"
#include "trie/block_log.hpp"
#include "trie/trie.hpp"

namespace hypermount::drive {

namespace {

std::string path_of(const std::string& key) { return "/" + key; }

Result<TrieState> list_state(trie::Trie& trie) {
  TrieState state;
  for (bool hidden : {false, true}) {
    trie::ListOptions options;
    options.hidden = hidden;
    HM_TRY_ASSIGN(auto nodes, trie.list("", options));
    for (const auto& node : nodes) {
      if (node->key().empty()) continue;  // the empty-trie marker (hypertrie.md §9.3)
      state[{hidden, node->key()}] = node->value().value_or(Bytes{});
    }
  }
  return state;
}

}  // namespace

StateDiff diff_states(const TrieState& from, const TrieState& to) {
  StateDiff diff;
  for (const auto& [key, value] : to) {
    if (key.first) continue;
    auto old = from.find(key);
    if (old == from.end()) {
      diff.added.push_back(path_of(key.second));
    } else if (old->second != value) {
      diff.modified.push_back(path_of(key.second));
    }
  }
  for (const auto& [key, value] : from) {
    if (!key.first && !to.contains(key)) diff.removed.push_back(path_of(key.second));
  }
  return diff;
}

Result<TrieState> state_at(core::Core& metadata, uint64_t version) {
  if (version == 0 || version > metadata.length()) {
    return Error::invalid("version {} is not one of the drive's (1 to {})", version, metadata.length());
  }
  trie::CoreLog log(metadata);
  trie::Trie trie(log);
  auto view = trie.checkout(version);
  return list_state(*view);
}

Result<std::vector<VersionChange>> history(core::Core& metadata) {
  trie::CoreLog log(metadata);
  trie::Trie trie(log);
  std::vector<VersionChange> out;
  TrieState state;
  for (uint64_t seq = 1; seq < metadata.length(); ++seq) {
    HM_TRY_ASSIGN(Bytes block, log.block(seq));
    HM_TRY_ASSIGN(trie::Node node, trie::decode_node(block, seq));
    VersionChange change;
    change.version = seq + 1;
    const std::pair<bool, std::string> key{node.hidden(), node.key()};
    const Bytes value = node.value().value_or(Bytes{});
    auto old = state.find(key);
    const bool repeats = node.key().empty() || (old != state.end() && old->second == value);
    if (repeats) {
      // A delete's re-write of a neighbour: what is gone shows in the listing after it.
      auto view = trie.checkout(seq + 1);
      HM_TRY_ASSIGN(TrieState after, list_state(*view));
      for (const auto& [k, v] : state) {
        if (!after.contains(k)) change.changes.push_back({PathChange::Kind::Del, path_of(k.second), k.first});
      }
      state = std::move(after);
    }
    if (change.changes.empty() && !node.key().empty()) {  // a put (or one repeating its value)
      change.changes.push_back({PathChange::Kind::Put, path_of(node.key()), node.hidden()});
      state[key] = value;
      if (!node.hidden()) {
        if (auto stat = decode_stat(value)) change.mtime_ms = stat->mtime_ms;
      }
    }
    out.push_back(std::move(change));
  }
  return out;
}

FileTotals file_totals(const TrieState& state) {
  FileTotals totals;
  for (const auto& [key, value] : state) {
    if (key.first) continue;
    auto stat = decode_stat(value);
    if (!stat || stat->type() != kModeRegular) continue;
    ++totals.files;
    totals.bytes += stat->size;
  }
  return totals;
}

}  // namespace hypermount::drive
