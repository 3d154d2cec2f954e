// A hypercore 8 log in a folder: create, open, append, get, seek, proofs for peers, and
// verified insertion of remote blocks (spec hypercore.md). Loop thread only.
#pragma once

#include "core/bitfield.hpp"
#include "core/merkle.hpp"
#include "core/storage.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

namespace hypermount::core {

// What an uploader sends with a block: the proof nodes and, when the proof reaches a root,
// the signature of the log length that verifies it (spec hypercore.md §6.4).
struct Proof {
  uint64_t block = 0;
  std::vector<Node> nodes;
  uint64_t verified_by = 0;  // 2 * length whose signature covers the proof, 0 if none needed
  std::optional<crypto::Signature> signature;
};

struct SeekResult {
  uint64_t block = 0;
  uint64_t offset_in_block = 0;
};

class Core {
 public:
  // Creates a new writable core in `dir` (made if missing) with a random key pair, or the
  // given one. Exists if the folder already holds a core. With store_secret_key false no
  // secret_key file is written (corestore re-derives the key from the core's name file).
  static Result<std::unique_ptr<Core>> create(const std::string& dir,
                                              std::optional<crypto::KeyPair> keys = {},
                                              bool store_secret_key = true);
  // Creates an empty replica of the core `key` (no secret key); opens it if it already exists
  // with that key. Corrupt if the folder holds a different key.
  static Result<std::unique_ptr<Core>> open_replica(const std::string& dir,
                                                    const crypto::PublicKey& key);
  // Opens an existing core. NotFound if there is none; Corrupt with the file named if a file
  // does not parse or the stored roots do not match the stored signature.
  // With `secret_key` given (a corestore-derived key) it is used instead of the secret_key
  // file; Corrupt if it does not belong to the stored public key.
  static Result<std::unique_ptr<Core>> open(const std::string& dir, store::OpenMode mode,
                                            std::optional<crypto::SecretKey> secret_key = {});
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  const crypto::PublicKey& key() const { return key_; }
  const crypto::DiscoveryKey& discovery_key() const { return discovery_key_; }
  // True when the secret key is known (appending also needs the folder opened ReadWrite).
  bool writable() const { return secret_key_.has_value(); }
  // The secret key when known (`hypermount keys export` writes it out; never logged).
  const std::optional<crypto::SecretKey>& secret_key() const { return secret_key_; }
  uint64_t length() const { return length_; }
  uint64_t byte_length() const { return byte_length_; }
  const std::string& dir() const { return storage_.dir(); }
  const CoreBitfield& bitfield() const { return bitfield_; }
  bool has(uint64_t block) const { return block < length_ && bitfield_.has_block(block); }
  uint64_t blocks_present() const { return bitfield_.count_blocks(); }

  // Whose job an append's data bytes are.
  enum class AppendBytes {
    Write,    // the append writes them
    Written,  // the caller wrote them at byte_length() already (through data_write_fd, off the
              // loop; a block that is_hole may be left unwritten): only tree, signature and
              // bitfield are written
  };
  // Appends the blocks as one batch with one signature. ReadOnly without the secret key.
  // `leaf_hashes` (empty, or one per block) may carry hashes worked out already (off the loop):
  // leaf_node(_, block).hash of exactly that block's bytes; the blocks without one are hashed here.
  Status append(const std::vector<ByteView>& blocks,
                std::span<const std::optional<crypto::Hash>> leaf_hashes = {},
                AppendBytes bytes = AppendBytes::Write);
  // Called after each local append with the length before it (one observer: the replicator
  // that announces appends to peers; nullptr removes it).
  void set_append_observer(std::function<void(uint64_t old_length)> observer) {
    append_observer_ = std::move(observer);
  }
  // The bytes of a present block, checked against its leaf hash. NotFound if not present.
  Result<Bytes> get(uint64_t block) const;
  // The bytes of a present block as stored, not hashed: for a peer, who verifies them against
  // the signed tree itself (as JS hypercore serves). NotFound if not present.
  Result<Bytes> get_unchecked(uint64_t block) const;
  // Blocks [first, first + count) end to end, read at once and each checked against its leaf
  // hash (on every core for a large range). NotFound if one is not present.
  Result<Bytes> get_range(uint64_t first, uint64_t count) const;
  // Blocks [first, first + count) one by one, checked as get_range checks them, read at once.
  // Fewer (at least one) where the next would bring their bytes past `max_bytes`, and only
  // those before the first that fails its check (Corrupt if that is `first`).
  Result<std::vector<Bytes>> get_blocks(uint64_t first, uint64_t count, uint64_t max_bytes) const;
  // Checks the present block's bytes against its tree hash, once per open core (later calls
  // cost nothing): due before the data file's bytes are handed out without reading them.
  Status check_block_once(uint64_t block) { return check_blocks_once(block, block); }
  // The same for blocks first..last (all present), those not checked yet hashed together.
  // Every intact one is remembered even when another fails.
  Status check_blocks_once(uint64_t first, uint64_t last);
  // Byte offset of a block in the data file (the sum of the sizes of the blocks before it).
  Result<uint64_t> block_offset(uint64_t block) const;
  // The block holding `byte_offset` of the log. Unavailable if the tree nodes on the way down
  // are not local.
  Result<SeekResult> seek(uint64_t byte_offset) const;
  // The signature stored for the log of length index + 1, if any.
  Result<std::optional<crypto::Signature>> signature(uint64_t index) const;

  // The proof for `block` a peer asked for with `digest` (§6.3); `remote_nodes` remembers
  // what that peer has across requests.
  Result<Proof> proof(uint64_t block, uint64_t digest, bool hash_only,
                      std::set<uint64_t>& remote_nodes) const;
  // The digest to send when asking a peer for `block`.
  uint64_t digest_for(uint64_t block) const;
  // Verifies a block (or, with no value, a hash-only reply) received from a peer against its
  // proof and the signed roots, then stores it. Nothing is stored unless it verifies. `leaf`
  // is the value's leaf_node when it was hashed already (off the loop); hashed here otherwise.
  // The block is present at once, but its bit reaches the bitfield file only with the next
  // flush_stored (a crash before it forgets the block, to be fetched again; the bit never
  // precedes the bytes it stands for), and a small block's bytes and nodes are held until then
  // or until something reads them (CoreStorage::stage_data).
  Status put_remote(uint64_t block, std::optional<ByteView> value, const std::vector<Node>& nodes,
                    const std::optional<crypto::Signature>& signature,
                    const std::optional<Node>& leaf = std::nullopt);
  // put_remote in two steps, for a caller that writes a large block's bytes off the loop:
  // accept_remote verifies and stores all but the bytes, and returns where they go in the data
  // file (nullopt for a hash-only reply); the block is not present until data_written says the
  // bytes are there (written through data_write_fd).
  Result<std::optional<uint64_t>> accept_remote(uint64_t block, std::optional<ByteView> value,
                                                const std::vector<Node>& nodes,
                                                const std::optional<crypto::Signature>& signature,
                                                const std::optional<Node>& leaf = std::nullopt);
  void data_written(uint64_t block, uint64_t offset, uint64_t size);
  // Writes accepted bytes here (as put_remote does), then data_written.
  Status write_accepted(uint64_t block, uint64_t offset, ByteView value);
  // A descriptor of the data file to write accepted bytes through from another thread (a
  // duplicate: the caller closes it, and it stays valid whatever happens to the core).
  Result<int> data_write_fd() { return storage_.dup_data_fd(); }
  // Cuts the data file back to byte_length(): bytes a crash left past it (an append cut short),
  // or written there ahead of an append that did not come. The next append leaves its zero
  // blocks as holes there, which must read zeros.
  Status cut_past_end() { return storage_.trim_data(byte_length_); }

  // Gives back the space of blocks [start, end) (hypercore's clear): they are no longer
  // present (marked absent first, then their bytes punched out of the data file); the tree and
  // signatures stay, so they can be fetched and verified again. Returns the bytes given back.
  Result<uint64_t> clear(uint64_t start, uint64_t end);

  // Re-hashes every present block and node and checks the signature of the current roots.
  // Returns the number of blocks verified.
  Result<uint64_t> verify_all() const;
  // Writes what put_remote left in memory, bytes and nodes first, then the bitfield pages: a
  // few writes for a run of stored blocks instead of some per block. Also done by sync and on
  // closing.
  Status flush_stored();
  // Makes everything written so far durable.
  Status sync();
  // The data file's descriptor: block bytes sit at their byte offset in the log, so a present
  // block can be handed to the kernel without a copy (the FUSE splice path). Not for writing.
  Result<int> data_fd() const { return storage_.data_fd(); }

 private:
  Core(CoreStorage storage, crypto::PublicKey key, std::optional<crypto::SecretKey> secret_key,
       CoreBitfield bitfield);
  Status load_state();
  Status flush_bitfield();
  Result<Node> require_node(uint64_t index) const;
  // Blocks [first, first + count) read at once, with which of them match their leaf hash.
  struct CheckedRun {
    Bytes bytes;
    uint64_t offset = 0;  // of the first block in the data file
    std::vector<Node> leaves;
    std::vector<char> intact;  // written by several threads: not vector<bool>
  };
  // Up to `count` blocks from `first`: fewer where the next would pass `max_bytes` (not below 1).
  Result<CheckedRun> read_run(uint64_t first, uint64_t count, uint64_t max_bytes = UINT64_MAX) const;
  Error mismatch(const CheckedRun& run, uint64_t first, uint64_t block) const;
  Result<std::vector<Node>> read_roots(uint64_t length) const;

  CoreStorage storage_;
  crypto::PublicKey key_;
  crypto::DiscoveryKey discovery_key_;
  std::optional<crypto::SecretKey> secret_key_;
  CoreBitfield bitfield_;
  std::vector<bool> checked_;  // blocks check_block_once found intact
  // A block whose byte offset is known without walking up the tree: the one after the block last
  // stored or read (blocks mostly come and go in order). Offsets never change once known.
  mutable uint64_t next_block_ = 0;
  mutable uint64_t next_block_offset_ = 0;
  void note_next_offset(uint64_t block, uint64_t offset) const {
    next_block_ = block;
    next_block_offset_ = offset;
  }
  // Notes blocks [first, end) as intact (checked, or just verified as they were stored).
  void mark_checked(uint64_t first, uint64_t end);
  std::vector<Node> roots_;
  uint64_t length_ = 0;
  uint64_t byte_length_ = 0;
  std::function<void(uint64_t)> append_observer_;
};

}  // namespace hypermount::core
