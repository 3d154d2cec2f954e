// A hyperdrive 10: paths map to Stat entries in a hypertrie on the metadata core, file bytes
// live in the content core (spec hyperdrive.md). Local operations; loop thread only.
#pragma once

#include "corestore/corestore.hpp"
#include "corestore/drive_cores.hpp"
#include "drive/stat.hpp"
#include "trie/trie.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hypermount::drive {

struct DirListing {
  std::string name;
  Stat stat;
};

// What a read or a lookup could not find locally: the caller fetches these blocks and retries.
struct MissingBlocks {
  std::vector<uint64_t> metadata;
  std::vector<uint64_t> content;
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
  // The drive version: the metadata core's length.
  uint64_t version() const { return metadata_->length(); }
  core::Core& metadata() { return *metadata_; }
  core::Core* content() { return content_.get(); }
  // The reference line the drive writes like (chunking of write_file). Chosen at creation;
  // a reopened drive knows it from its metadata header: the 10.21 line writes the subtype
  // "hyperdrive" into block 0, the 10.8.16 line writes none (hyperdrive.md §15). A replica whose
  // block 0 is not local yet says V10_21 (it cannot write anyway).
  corestore::DriveLine line() const { return line_; }
  // A read-only view of the drive at `version` (a checkout); the drive must outlive it.
  std::unique_ptr<Drive> checkout(uint64_t version);

  // The entry at `path` without following a final symlink. Implicit directories (no node, but
  // descendants) get a clean directory Stat. NotFound if nothing is there.
  Result<Stat> lstat(std::string_view path);
  // The entries directly below the directory `path`, implicit directories included.
  Result<std::vector<DirListing>> readdir(std::string_view path);
  // Up to `size` bytes of the file `stat` at `offset` (fewer at its end).
  Result<Bytes> read(const Stat& stat, uint64_t offset, size_t size);
  Result<Bytes> read_file(std::string_view path);

  // Writes a whole file (a new run of content blocks, then its Stat): the 10.21 line splits it
  // into kMaxBlockSize pieces, the 10.8.16 line appends it as one block (hyperdrive.md §7.1).
  // `stat` carries mode, owner and xattrs; its content fields are filled in here.
  Status write_file(std::string_view path, ByteView data, Stat stat);
  Status mkdir(std::string_view path, uint32_t mode = kDefaultDirectoryMode);
  Status symlink(std::string_view target, std::string_view path);
  // Replaces the Stat at `path` (metadata-only changes: mode, owner, times, xattrs).
  Status put_stat(std::string_view path, const Stat& stat);
  // Removes a file or symlink. IsDir for a directory.
  Status unlink(std::string_view path);
  // Removes an empty directory. NotEmpty if it has entries, NotDir for a file.
  Status rmdir(std::string_view path);

  // Blocks the last failed operation needed and did not have (Errc::Unavailable).
  MissingBlocks missing() const;

  // The 10.21 line splits files into blocks of at most this many bytes.
  static constexpr size_t kMaxBlockSize = 524288;

 private:
  Drive(std::shared_ptr<core::Core> metadata, std::shared_ptr<core::Core> content,
        std::unique_ptr<trie::CoreLog> log, std::unique_ptr<trie::Trie> trie, bool checkout,
        corestore::DriveLine line);
  static Result<std::unique_ptr<Drive>> assemble(std::shared_ptr<core::Core> metadata,
                                                 const corestore::Namespace& ns,
                                                 std::optional<corestore::DriveLine> create_line);
  Status require_writable() const;
  Result<std::vector<trie::NodePtr>> children(const std::string& key);

  std::shared_ptr<core::Core> metadata_;
  std::shared_ptr<core::Core> content_;
  std::unique_ptr<trie::CoreLog> log_;
  std::unique_ptr<trie::Trie> trie_;
  std::vector<uint64_t> missing_content_;
  bool checkout_ = false;
  corestore::DriveLine line_ = corestore::DriveLine::V10_21;
};

}  // namespace hypermount::drive
