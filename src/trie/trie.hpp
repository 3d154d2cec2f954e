// A hypertrie 4.8.0 key/value view over one hypercore log: get, put, delete, batch, conditional
// writes, iteration, checkouts (spec hypertrie.md). Loop thread only; operations are synchronous.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trie/block_log.hpp"
#include "trie/iterator.hpp"
#include "trie/node.hpp"
#include "trie/node_cache.hpp"

namespace hypermount::trie {

struct GetOptions {
  bool hidden = false;
  // Stop before the end digit: any node at or below the key (§7).
  bool prefix = false;
  // Return the last node reached instead of nullptr when a branch is missing.
  bool closest = false;
};

struct PutOptions {
  bool hidden = false;
  // User flags (stored shifted left by 8, §6).
  uint64_t flags = 0;
  // Pass the node where the walk stopped (maybe another key) to the condition instead of the
  // previous node for the same key.
  bool closest = false;
  // Called with (previous node for the key or nullptr / closest node, new node); false means
  // append nothing and return nullptr (§11).
  std::function<bool(const Node* old_or_closest, const Node& fresh)> condition;
};

struct DeleteOptions {
  bool hidden = false;
  // With a condition: when the key is missing, call it with the node where the walk stopped.
  bool closest = false;
  // Called with the node about to be deleted; false means append nothing (§11).
  std::function<bool(const Node* node)> condition;
};

struct BatchOp {
  enum class Type { Put, Delete };
  Type type = Type::Put;
  std::string key;
  std::optional<Bytes> value;
  bool hidden = false;
  uint64_t flags = 0;
};

struct OpenOptions {
  // Header metadata written with block 0 (hyperdrive: the content feed key).
  std::optional<Bytes> metadata;
  // hypertrie 5 header subtype; hypertrie 4 writers leave it unset.
  std::optional<std::string> subtype;
};

// Sparse replicas: every operation reads blocks through the BlockReader; when one is not local
// the operation fails with Errc::Unavailable (message names the seq) and missing_seqs() lists
// the blocks it needed. Nothing has been appended then; fetch them and run the operation again.
class Trie {
 public:
  // A writable trie over `log` (which must outlive it): writes the header when the log is
  // empty. ReadOnly when the log is empty and not writable.
  static Result<std::unique_ptr<Trie>> open(BlockLog& log, const OpenOptions& options = {});
  // A read-only view over `reader` (which must outlive it), at its current length.
  explicit Trie(BlockReader& reader);

  Trie(const Trie&) = delete;
  Trie& operator=(const Trie&) = delete;

  // The log length, or the checkout version (§14).
  uint64_t version() const;
  // Seq of the head node, 0 when the view is empty.
  uint64_t head_seq() const;
  // Read-only view at `version` (0 counts as 1), sharing this trie's reader and node cache.
  std::unique_ptr<Trie> checkout(uint64_t version) const;
  Result<Header> header();

  // nullptr when the key is absent.
  Result<NodePtr> get(std::string_view key, const GetOptions& options = {});
  // The appended node, or nullptr when the condition refused. `value` nullopt writes a node
  // without a value (not a delete). ReadOnly on a checkout or a non-writable log.
  Result<NodePtr> put(std::string_view key, std::optional<ByteView> value,
                      const PutOptions& options = {});
  // The appended re-write of a neighbour (or the '' marker when the trie becomes empty), or
  // nullptr when the key is absent or the condition refused.
  Result<NodePtr> del(std::string_view key, const DeleteOptions& options = {});
  // Runs the operations in order and appends every node with one append (§10). The result
  // holds the appended nodes.
  Result<std::vector<NodePtr>> batch(const std::vector<BatchOp>& ops);

  // Iteration at the current version; the iterator borrows this trie's reader.
  Iterator iterator(std::string_view prefix = "", const ListOptions& options = {}) const;
  // Every node the iterator yields. When blocks are missing, missing_seqs() names the whole
  // frontier the listing can see (Iterator::frontier), not just the first gap.
  Result<std::vector<NodePtr>> list(std::string_view prefix = "", const ListOptions& options = {});

  // Blocks the last failed operation needed and did not find locally (empty after success).
  const std::vector<uint64_t>& missing_seqs() const { return missing_; }
  // Drops decoded nodes (tests count block reads of a cold cache).
  void clear_cache_for_test() { cache_->clear(); }

 private:
  Trie(BlockReader& reader, BlockLog* log, uint64_t checkout, std::shared_ptr<NodeCache> cache);
  Status check_writable() const;

  BlockReader& reader_;
  BlockLog* log_;  // nullptr for read-only views
  uint64_t checkout_;  // 0 = follow the log
  std::shared_ptr<NodeCache> cache_;  // shared with checkouts
  std::vector<uint64_t> missing_;
};

}  // namespace hypermount::trie
