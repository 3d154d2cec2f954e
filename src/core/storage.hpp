// The six files of a hypercore 8 folder (key, secret_key, tree, data, bitfield, signatures),
// byte-compatible with JS random-access-file storage (spec hypercore.md §5). Loop thread only.
#pragma once

#include "core/bitfield.hpp"
#include "core/merkle.hpp"
#include "core/staged_writes.hpp"
#include "core/tree_node_cache.hpp"
#include "crypto/keys.hpp"
#include "store/file.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hypermount::core {

// Sizes of the on-disk records (spec hypercore.md §5.1).
constexpr uint64_t kHeaderSize = 32;
constexpr uint64_t kTreeRecordSize = 40;
constexpr uint64_t kSignatureRecordSize = 64;

// A block stored as a hole in the data file: all zeros and at least a page long.
bool is_hole(ByteView block);
// Writes consecutive `blocks` from byte `offset` of a data file's descriptor (data_write_fd) as
// CoreStorage::write_blocks does, holes left out; 0, or the errno of the failure. Safe from
// any thread.
int write_blocks_at(int fd, uint64_t offset, std::span<const ByteView> blocks);

class CoreStorage {
 public:
  // Opens the files of an existing folder (NotFound if it does not exist) without writing.
  // An existing header that is not the expected one is Corrupt.
  static Result<CoreStorage> open(const std::string& dir, store::OpenMode mode);
  // Locks the bitfield file (Unavailable if another process has the core open, as JS does)
  // and writes the tree, signatures and bitfield headers, as the reference does on every
  // writable open. Call only once the folder is known to hold (or become) this core.
  Status write_headers();

  const std::string& dir() const { return dir_; }
  bool read_only() const { return mode_ == store::OpenMode::ReadOnly; }

  Result<std::optional<crypto::PublicKey>> read_key() const;
  Result<std::optional<crypto::SecretKey>> read_secret_key() const;
  Status write_key(const crypto::PublicKey& key);
  Status write_secret_key(const crypto::SecretKey& key);

  // A missing node (all-zero record, hole, or past the end) is nullopt.
  Result<std::optional<Node>> read_node(uint64_t index) const;
  // Nodes first .. first + count - 1 in one read; a missing one is nullopt.
  Result<std::vector<std::optional<Node>>> read_nodes(uint64_t first, uint64_t count) const;
  // Writes the nodes, coalescing neighbours into single writes.
  Status write_nodes(std::vector<Node> nodes);

  // Received blocks: their nodes and small blocks' bytes are held (StagedWrites) and written
  // together by write_staged, or before anything else reads or writes the tree or data file
  // (so reads see them). A failed write keeps them held, to be written again; Io then.
  Status stage_nodes(const std::vector<Node>& nodes);
  Status stage_data(uint64_t byte_offset, ByteView bytes);
  Status write_staged() const;

  Result<std::optional<crypto::Signature>> read_signature(uint64_t index) const;
  Status write_signature(uint64_t index, const crypto::Signature& signature);

  Status read_data(uint64_t byte_offset, std::span<uint8_t> out) const;
  // A block that is_hole (all zeros, a page or more) is not written: the data file only grows
  // over it, leaving a hole that reads as the same zeros, so a large zero-filled stretch of a
  // file costs its tree records, not its size.
  Status write_data(uint64_t byte_offset, ByteView bytes);
  // Writes consecutive blocks starting at `byte_offset` without concatenating them first;
  // `holes[i]` (is_hole of block i) leaves that block a hole.
  Status write_blocks(uint64_t byte_offset, std::span<const ByteView> blocks, const std::vector<bool>& holes);
  // Makes the data file at least `end` bytes long (blocks written elsewhere, trailing holes).
  Status extend_data(uint64_t end);
  // Cuts the data file to `end` bytes if it is longer.
  Status trim_data(uint64_t end);
  // The data file's descriptor, everything staged written to it.
  Result<int> data_fd() const;
  // A duplicate of it (created if need be), for writes from another thread: the caller closes it.
  Result<int> dup_data_fd();
  // Gives the space of data bytes [byte_offset, byte_offset + length) back (File::punch_hole).
  Status clear_data(uint64_t byte_offset, uint64_t length);

  // The bitfield file after its header: whole pages, the last one possibly short.
  Result<Bytes> read_bitfield_pages() const;
  Status write_bitfield_page(uint64_t page, ByteView bytes);

  // The file sizes before an append (reserve_append), to cut them back to if it fails.
  struct AppendMark {
    uint64_t data = 0;
    uint64_t tree = 0;
    uint64_t signatures = 0;
  };
  // Allocates, before anything is written, the space an append will write: the `blocks` from
  // byte `data_start` (holes left out), tree records up to node `last_node`, the signature of
  // `last_block` and bitfield pages up to `last_page`. Io with ENOSPC (and every file as it
  // was) if the store's file system cannot hold it.
  Result<AppendMark> reserve_append(uint64_t data_start, std::span<const ByteView> blocks,
                                    const std::vector<bool>& holes, uint64_t last_node, uint64_t last_block,
                                    uint64_t last_page);
  // Cuts data, tree and signatures back to `mark` (after a failed append): best effort.
  void roll_back(const AppendMark& mark);

  // fdatasync of every file written to.
  Status sync();

 private:
  CoreStorage(std::string dir, store::OpenMode mode, store::File key, store::File secret_key,
              store::File tree, store::File data, store::File bitfield, store::File signatures);
  Status check_header(const store::File& file, ByteView expected) const;
  Status write_node_records(std::vector<Node> nodes) const;
  // Tree records read_node reads at once (an aligned run holding the one asked for).
  static constexpr uint64_t kNodesPerRead = 32;
  // Tree records [first, first + count) in one read (what is staged written first): each one
  // read whole, decoded (nullopt if absent), and how many bytes the read got.
  struct Records {
    std::vector<std::optional<Node>> nodes;
    size_t bytes = 0;
  };
  Result<Records> read_records(uint64_t first, uint64_t count) const;

  std::string dir_;
  store::OpenMode mode_;
  store::File key_;
  store::File secret_key_;
  // Mutable: a read (const) writes what is staged first.
  mutable store::File tree_;
  mutable store::File data_;
  store::File bitfield_;
  store::File signatures_;
  mutable TreeNodeCache nodes_;  // read_node's recent answers and write_nodes' nodes
  mutable StagedWrites staged_;
};

}  // namespace hypermount::core
