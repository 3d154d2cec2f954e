// A hyperdrive 10: paths map to Stat entries in a hypertrie on the metadata core, file bytes
// live in the content core, other drives are mounted at paths (spec hyperdrive.md). Loop thread.
#pragma once

#include "corestore/corestore.hpp"
#include "corestore/drive_cores.hpp"
#include "drive/stat.hpp"
#include "trie/trie.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hypermount::drive {

struct DirListing {
  std::string name;
  Stat stat;
};

// What an operation could not find locally, core by core (the drive's own cores or those of a
// drive mounted in it): the caller fetches these blocks and runs the operation again.
struct MissingBlocks {
  struct InCore {
    std::shared_ptr<core::Core> core;
    std::set<uint64_t> blocks;
    bool metadata = false;  // a drive's metadata core: worth following to its writer's head
  };
  std::vector<InCore> cores;
  // A folder listing lacks them (readdir): a short metadata core is then worth taking whole,
  // where a lookup of one path stays sparse.
  bool listing = false;
  // The trie operations that lacked them, for peers that can name every block one reads
  // (the `hypertrie` extension, hypertrie.md §13.2): a get of `key`, or an iteration under it.
  struct TrieQuery {
    std::shared_ptr<core::Core> core;  // the metadata core
    uint64_t head = 0;                 // the seq of the trie's head node at the operation
    std::string key;
    std::optional<uint64_t> iterator_flags;  // an iteration (bit0 recursive), else a get
  };
  std::vector<TrieQuery> queries;

  bool empty() const { return cores.empty(); }
  void add(const std::shared_ptr<core::Core>& core, uint64_t block, bool metadata = false);
  void clear() {
    cores.clear();
    listing = false;
    queries.clear();
  }
};

// Where a byte range of a file lies in a core's data file, when every block of it is present.
struct LocalExtent {
  int fd = -1;           // the core's data file (owned by the core)
  uint64_t position = 0;  // byte position in that file
  size_t length = 0;      // bytes (0 at or after the end of the file)
};

// One version of a file's bytes: the core holding them and where they lie in it. A drive never
// rewrites content blocks, so this reads the same bytes after the file's path is removed,
// renamed or written again (an open file keeps reading what it opened).
struct FileContent {
  std::shared_ptr<core::Core> core;
  uint64_t first_block = 0;  // the file's first block in `core`, and that block's first byte
  uint64_t first_byte = 0;
  uint64_t blocks = 0;
  uint64_t size = 0;  // bytes
};

// Whether an operation that adds or removes an entry sets the mtime and ctime of the directory
// holding it to now (POSIX). Keep is for the steps of a larger change that stamps them itself.
// Only a directory with an entry of its own gets new times: the root has none, and a directory
// that exists only through its descendants keeps the times of its first entry.
enum class ParentTimes { Update, Keep };

// A drive mounted somewhere below a drive's root.
struct MountedDrive {
  std::string path;  // absolute, in the outer drive's namespace
  crypto::PublicKey key{};
  std::optional<uint64_t> version;
};

class Drive {
 public:
  // The drive of namespace `ns` in the store: created (writable) if its metadata core is
  // empty, opened otherwise. `line` picks the content-core naming of a new drive.
  static Result<std::unique_ptr<Drive>> open_own(const corestore::Namespace& ns,
                                                 corestore::DriveLine line);
  // The drive `key`: writable if the store holds its keys, a (sparse) replica otherwise. A
  // replica whose metadata block 0 is not local yet has no content core (content() is null).
  static Result<std::unique_ptr<Drive>> open(corestore::Corestore& store,
                                             const crypto::PublicKey& key);

  const crypto::PublicKey& key() const { return metadata_->key(); }
  bool writable() const { return !checkout_ && metadata_->writable(); }
  // Whether the store holds the keys of the drive holding `path` (mounts followed), so that
  // what it holds was written here (checkouts of it included).
  Result<bool> written_here(std::string_view path);
  // The drive version: the metadata core's length (or the checkout's version).
  uint64_t version() const { return trie_->version(); }
  // The versions of this drive and of the drives opened in it added up: any change to any of
  // them makes it grow.
  uint64_t tree_version() const;
  // The folder of the store the drive lives in.
  const std::string& store_folder() const { return store_->root(); }
  core::Core& metadata() { return *metadata_; }
  core::Core* content() { return content_.get(); }
  // The reference line the drive writes like (chunking of write_file). Chosen at creation;
  // a reopened drive knows it from its metadata header: the 10.21 line writes the subtype
  // "hyperdrive" into block 0, the 10.8.16 line writes none (hyperdrive.md §15). A replica whose
  // block 0 is not local yet says V10_21 (it cannot write anyway).
  corestore::DriveLine line() const { return line_; }
  // A read-only view of the drive at `version` (a checkout); the drive must outlive it.
  std::unique_ptr<Drive> checkout(uint64_t version);

  // Every path below is absolute in this drive and follows drive mounts (§9): an entry inside a
  // mounted drive is read and written there. A drive mounted inside itself (at any depth) is
  // Errc::Loop when entered.

  // The entry at `path` without following a final symlink. Implicit directories (no node, but
  // descendants) get a clean directory Stat; a mount point gets its Stat in the outer drive.
  // NotFound if nothing is there.
  Result<Stat> lstat(std::string_view path);
  // The entries directly below the directory `path`, implicit directories included.
  Result<std::vector<DirListing>> readdir(std::string_view path);
  // How many of the entries directly below the directory `path` are directories (implicit ones
  // and drive mounts included), from local blocks only; nullopt when part of the listing is not
  // local (nothing is fetched for it) or the directory has more than `limit` entries.
  std::optional<uint64_t> subdirectory_count(std::string_view path, size_t limit);
  // Up to `size` bytes of the file at `path` from `offset` (fewer at its end). A hypercore
  // mount reads the mounted core's bytes.
  Result<Bytes> read(std::string_view path, uint64_t offset, size_t size);
  Result<Bytes> read_file(std::string_view path);
  // The bytes of the file at `path` as it is now (a hypercore mount: the mounted core's).
  // IsDir unless it is a regular file; Unavailable (metadata block 0 in missing()) while a
  // replica does not know its content core yet.
  Result<FileContent> content_of(std::string_view path);
  // Up to `size` bytes of `content` from `offset` (fewer at its end).
  Result<Bytes> read(const FileContent& content, uint64_t offset, size_t size);
  // Where bytes [offset, offset + size) of `content` lie, if all their blocks are present and
  // match their hashes (checked once per block and process); nullopt if any is not.
  std::optional<LocalExtent> local_extent(const FileContent& content, uint64_t offset, size_t size);
  // Unavailable, with missing() naming them, when blocks of bytes [offset, offset + size) of
  // `content` are absent; reads none of them (read-ahead asks for these). Success when all are
  // local or the tree cannot tell which blocks the range covers yet.
  Status check_local(const FileContent& content, uint64_t offset, size_t size);

  // Writes a whole file (a new run of content blocks, then its Stat): the 10.21 line splits it
  // into kMaxBlockSize pieces, the 10.8.16 line appends it as one block (hyperdrive.md §7.1).
  // `stat` carries mode, owner and xattrs; its content fields are filled in here.
  Status write_file(std::string_view path, ByteView data, Stat stat);
  // The same for a file of `size` bytes handed over in pieces: `source(offset, length)` returns
  // exactly those bytes (valid until its next call). The 10.21 line holds at most
  // kAppendBatchBlocks blocks in memory at once; the 10.8.16 line asks for the whole file.
  using ContentSource = std::function<Result<ByteView>(uint64_t offset, size_t length)>;
  Status write_file(std::string_view path, uint64_t size, const ContentSource& source, Stat stat);
  // The same in steps, so that a caller on the loop can answer others between batches:
  // begin_write checks the path, each write_step appends the next batch (true once all `size`
  // bytes are appended), end_write writes the Stat. Nothing else may append to the content core
  // meanwhile (Busy if something did); a write given up half way leaves unreferenced blocks.
  struct FileWrite {
    Drive* drive = nullptr;  // the drive holding the path (mounts followed)
    std::string key;
    uint64_t size = 0;
    uint64_t offset = 0;       // bytes appended so far
    uint64_t first_block = 0;  // the file's first content block and byte
    uint64_t first_byte = 0;
    uint64_t blocks = 0;  // appended so far (with the file's own blocks it grows from)
    Stat stat;
    bool created = false;  // no entry at the path when the write began: a new file
  };
  Result<FileWrite> begin_write(std::string_view path, uint64_t size, Stat stat);
  // The same for a file that grows in place: `stat` (the file's Stat now) has content that ends
  // the content core, and the write appends only its bytes [stat.size, size) after it (write_step
  // asks the source for those alone). InvalidArgument when it cannot: the caller writes it whole.
  Result<FileWrite> begin_extend(std::string_view path, uint64_t size, Stat stat);
  // The same for content appended already (a stream's, stream_core): the write appends nothing
  // (no write_step) and end_write points the Stat at `content`. InvalidArgument when `content`
  // is not in the content core of the drive holding `path` (the file moved to another drive).
  Result<FileWrite> begin_adopt(std::string_view path, const FileContent& content, Stat stat);
  // The content core a new file `path` is appended to as it is written (the 10.21 line only:
  // 10.8.16 keeps a file in one block): InvalidArgument for the 10.8.16 line, ReadOnly when
  // the drive holding `path` is not writable.
  Result<std::shared_ptr<core::Core>> stream_core(std::string_view path);
  // Leaf hashes of the new content worked out ahead (off the loop): the hash of bytes
  // [offset, offset + length) of the file if known (core::leaf_node of exactly those bytes).
  using KnownLeaves = std::function<std::optional<crypto::Hash>(uint64_t offset, size_t length)>;
  Result<bool> write_step(FileWrite& write, const ContentSource& source, const KnownLeaves& known = {});
  // Writes the Stat (a new file also stamps its directory, see ParentTimes). A `stat` whose
  // mode is 0 gets the default file mode; otherwise its permission bits are kept, 0 included.
  Status end_write(FileWrite& write);
  // `mode`: permission bits, kept as given (0 too). Mkdir, symlink and mknod stamp the
  // directory holding the new entry, unlink and rmdir the one that held it (ParentTimes).
  Status mkdir(std::string_view path, uint32_t mode = kDefaultDirectoryMode);
  Status symlink(std::string_view target, std::string_view path);
  // Writes `stat`, a FIFO, socket or device (EntryKind::Other), as the new entry `path`.
  // Exists if something is there; InvalidArgument for any other kind.
  Status mknod(std::string_view path, const Stat& stat);
  // Replaces the Stat at `path` (metadata-only changes: mode, owner, times, xattrs; a mount
  // point stays a mount point).
  Status put_stat(std::string_view path, const Stat& stat);
  // Removes a file, symlink or hypercore mount. IsDir for a directory or a drive mount point.
  Status unlink(std::string_view path, ParentTimes times = ParentTimes::Update);
  // Removes an empty directory. NotEmpty if it has entries, NotDir for a file, Busy for a
  // drive mount point (unmount it instead).
  Status rmdir(std::string_view path, ParentTimes times = ParentTimes::Update);
  // Sets the mtime and ctime of the directories holding `paths` to now (a rename's two
  // directories, once it has moved its entries with ParentTimes::Keep): one batch per drive.
  Status stamp_parents(const std::vector<std::string>& paths);

  // Mounts the drive `key` (at `version`, or following its latest) at the new directory `path`
  // in the drive holding it: the hidden record and the mount point in one batch (§9.1).
  Status mount(std::string_view path, const crypto::PublicKey& key,
               std::optional<uint64_t> version = std::nullopt);
  // Removes the drive mount at `path` (record and mount point, one batch, §9.6).
  Status unmount(std::string_view path);
  // The drive mounts below the root, from the hidden mount records (recursively through the
  // mounted drives when `recursive`; a cycle is not followed twice).
  Result<std::vector<MountedDrive>> mounts(bool recursive);
  // Whether `a` and `b` (existing or not) lie in the same drive, i.e. a rename between them
  // can keep its content (CrossDevice otherwise).
  Status same_drive(std::string_view a, std::string_view b);

  // Blocks the last operation that failed with Errc::Unavailable needed and did not have.
  const MissingBlocks& missing() const { return root_->missing_; }

  // The 10.21 line splits files into blocks of at most this many bytes.
  static constexpr size_t kMaxBlockSize = 524288;
  // Present blocks past a local read that are checked with it (local_extent).
  static constexpr uint64_t kCheckAheadBlocks = 8;
  // Blocks appended (hashed, signed, written) together while writing a file.
  static constexpr size_t kAppendBatchBlocks = 16;

 private:
  friend class BulkWriter;  // imports write content and entries in large batches

  // Where a path lands once mounts are followed: the drive holding it and its key there.
  struct Location {
    Drive* drive;
    std::string key;
  };

  Drive(corestore::Corestore& store, std::shared_ptr<core::Core> metadata,
        std::shared_ptr<core::Core> content, std::unique_ptr<trie::CoreLog> log,
        std::unique_ptr<trie::Trie> trie, bool checkout, corestore::DriveLine line);
  static Result<std::unique_ptr<Drive>> assemble(std::shared_ptr<core::Core> metadata,
                                                 const corestore::Namespace& ns,
                                                 std::optional<corestore::DriveLine> create_line);

  // Follows mounts from this drive's trie key `key` (§9.2). With `enter`, a mount point named
  // by `key` itself is entered too (its contents are wanted, not its own entry).
  Result<Location> locate(std::string_view path, bool enter);
  Result<Location> locate_key(std::string key, bool enter);
  // Where a new entry `path` goes in a writable drive: Exists if something is there already.
  Result<Location> locate_new(std::string_view path);
  // The drive mounted by the record covering `key` (the record's local path and the drive).
  Result<std::pair<std::string, Drive*>> enter_mount(const std::string& key);
  // Whether `key` is this drive or one it is mounted in (mounting it here would be a cycle).
  bool in_mount_chain(const crypto::PublicKey& key) const;
  Result<Drive*> mounted_drive(const crypto::PublicKey& key, std::optional<uint64_t> version,
                               const std::string& at);

  // The operations on one trie key of this drive (mounts already followed).
  Result<Stat> lstat_key(const std::string& key);
  Result<std::vector<DirListing>> readdir_key(const std::string& key);
  std::optional<uint64_t> subdirectory_count_key(const std::string& key, size_t limit);
  Result<FileContent> content_of_stat(const Stat& stat);
  Result<Bytes> read_blocks(const std::shared_ptr<core::Core>& core, uint64_t first_block,
                            uint64_t blocks, uint64_t first_byte, uint64_t file_size,
                            uint64_t offset, size_t size);
  // Writes `stat` at `key` (removes the entry when null) and, with ParentTimes::Update, the
  // Stat of its directory with times `now_ms`, in one batch.
  Status change_entry(const std::string& key, const Stat* stat, uint64_t now_ms, ParentTimes times);
  // The write of the Stat of the directory holding `key` with times `now_ms`; none when it has
  // no entry of its own or is no plain directory.
  Result<std::optional<trie::BatchOp>> parent_stamp(const std::string& key, uint64_t now_ms);
  // Adds the absent blocks of [first, last] of `core` to missing(); whether there were any.
  bool note_absent(const std::shared_ptr<core::Core>& core, uint64_t first, uint64_t last);
  Status require_writable() const;
  Result<std::vector<trie::NodePtr>> children(const std::string& key);
  // Records the blocks a failed trie operation lacked (for missing()) and passes it on.
  template <typename T>
  Result<T> noted(Result<T> result) {
    if (!result && result.error().code() == Errc::Unavailable) note_missing_nodes(trie_->missing_seqs());
    return result;
  }
  void note_missing_nodes(const std::vector<uint64_t>& seqs);
  // Records a trie operation that lacked blocks (MissingBlocks::queries).
  void note_query(const std::string& key, std::optional<uint64_t> iterator_flags);

  corestore::Corestore* store_;
  std::shared_ptr<core::Core> metadata_;
  std::shared_ptr<core::Core> content_;
  std::unique_ptr<trie::CoreLog> log_;
  std::unique_ptr<trie::Trie> trie_;
  bool checkout_ = false;
  corestore::DriveLine line_ = corestore::DriveLine::V10_21;
  Drive* parent_ = nullptr;  // the drive this one is mounted in
  Drive* root_ = this;       // the top of the mount chain: holds missing_
  MissingBlocks missing_;
  // Drives mounted in this one, by (key, pinned version or 0), opened on first use.
  std::map<std::pair<crypto::PublicKey, uint64_t>, std::unique_ptr<Drive>> mounted_;
};

}  // namespace hypermount::drive
