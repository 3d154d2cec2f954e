// FsBackend over a hyperdrive: path operations answered from the drive, retried after the
// blocks they lacked were fetched (when a fetcher is set). Loop thread only.
#pragma once

#include "drive/drive.hpp"
#include "fuse/content_stream.hpp"
#include "fuse/fs_backend.hpp"
#include "fuse/listings_ahead.hpp"
#include "node/drive_info.hpp"
#include "node/fetcher.hpp"

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace hypermount::fuse {

class DriveBackend final : public FsBackend {
 public:
  // The drive (and the fetcher, which brings in the blocks an operation lacked) must outlive
  // the backend. Without a fetcher, a missing block is EIO at once.
  // Files are committed on `loop` a batch of blocks at a time, one file after another.
  DriveBackend(uv_loop_t* loop, drive::Drive& drive, node::Fetcher* fetcher = nullptr,
               bool pinned_version = false);
  ~DriveBackend() override;
  // The replicator whose peers user.hypermount.info lists (it must outlive the backend).
  void set_replicator(const wire::Replicator* replicator) { replicator_ = replicator; }

  void lstat(std::string path, Callback<Attr> done) override;
  void readdir(std::string path, Callback<std::vector<DirEntry>> done) override;
  void open_file(std::string path, Callback<OpenedFile> done) override;
  void readlink(std::string path, Callback<std::string> done) override;
  void getxattr(std::string path, std::string name, Callback<Bytes> done) override;
  void listxattr(std::string path, Callback<std::vector<std::string>> done) override;
  struct statvfs statfs() override;
  bool immutable() const override { return pinned_; }
  void set_requests_waiting(std::function<bool()> waiting) override { ahead_.set_requests_waiting(std::move(waiting)); }

  bool writable() const override { return !pinned_ && drive_.writable(); }
  Result<StagingFile> new_staging_file() override;
  // Clears (Core::clear) every released content no open file still reads.
  uint64_t give_back() override;
  void write_file(std::string path, StagingFile* content, KeptPrefix kept, uint32_t mode, uint32_t uid,
                  uint32_t gid, Callback<Attr> done) override;
  std::unique_ptr<ContentStream> start_stream(const std::string& path) override;
  Result<Streamed> write_streamed(const std::string& path, const drive::FileContent& content, uint32_t mode,
                                  uint32_t uid, uint32_t gid) override;
  void truncate(std::string path, uint64_t size, Callback<Attr> done) override;
  void change_attr(std::string path, AttrChange change, Callback<Attr> done) override;
  void mkdir(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, Callback<Attr> done) override;
  void symlink(std::string target, std::string path, uint32_t uid, uint32_t gid,
               Callback<Attr> done) override;
  void mknod(std::string path, uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
             Callback<Attr> done) override;
  void unlink(std::string path, Callback<void> done) override;
  void rmdir(std::string path, Callback<void> done) override;
  void rename(std::string from, std::string to, bool no_replace, Callback<void> done) override;
  void setxattr(std::string path, std::string name, Bytes value, int flags, Callback<void> done) override;
  void removexattr(std::string path, std::string name, Callback<void> done) override;

 private:
  // A directory's link count: 2 + its subdirectories, or 1 ("unknown": find then does not
  // count on it) when its listing is not local or has more than kLinkCountLimit entries.
  void count_links(const std::string& path, Attr& attr);
  // Entries a directory's link count is worked out from at most: a getattr lists that many.
  static constexpr size_t kLinkCountLimit = 1024;
  // A folder's entries with their attributes, from local data (Unavailable for what is not).
  Result<std::vector<DirEntry>> list(const std::string& path);

  // ENOSPC when the store's file system has less than `bytes` free (Io with the errno), once
  // the space of removed and replaced files has been given back.
  // The store's bytes a commit of `size` bytes, `data` of them not zeros, takes at most.
  static uint64_t store_cost(uint64_t data, uint64_t size);
  Status check_room(uint64_t bytes);
  // The content of the file at `path` if it is one whose space could be given back once it is
  // removed or replaced (a file with blocks in a writable core).
  std::optional<drive::FileContent> own_content(const std::string& path);
  // Notes the content of a file just removed or replaced; gives space back if the store is low.
  void released(drive::FileContent content);

  Result<Attr> owned_by(const std::string& path, uint32_t uid, uint32_t gid);
  // Runs `attempt` until it stops failing with Unavailable, fetching what it lacked in between
  // (node::run_fetching), then hands its result to `done`.
  template <typename T>
  void run(std::function<Result<T>()> attempt, Callback<T> done);

  // Writes `size` bytes from `source` as the new content of `path` (mode, uid and gid for a
  // new file): queued behind the commits before it, then appended one batch per turn of the
  // loop, so that other requests and peers are answered while a big file is committed.
  // `extend`: the content the file had, to grow in place if it still has it and ends the log.
  // `data`: of `size`, the bytes that may not be zeros (zero blocks cost the store no data).
  // `leaves`: the leaf hashes worked out ahead for `source` (whose bytes are then the staging
  // file's): the commit starts once the pool has hashed the rest, and appends with them.
  void commit(std::string path, uint64_t size, uint64_t data, drive::Drive::ContentSource source, uint32_t mode,
              uint32_t uid, uint32_t gid, Callback<Attr> done,
              std::optional<drive::FileContent> extend = std::nullopt, StagedLeaves* leaves = nullptr);
  void start_next_commit();
  // The Stat new content of `path` is written with: the file's own (`existed`) or a new file's
  // with `mode`, `uid` and `gid`; its mtime left to end_write. IsDir or Invalid for no file.
  Result<drive::Stat> stat_to_write(const std::string& path, uint32_t mode, uint32_t uid, uint32_t gid,
                                    bool& existed);
  void commit_step();
  Status move_tree(const std::string& from, const std::string& to);
  std::vector<std::string> control_attributes(const std::string& path, const drive::Stat& stat);
  std::optional<Bytes> control_attribute(const std::string& path, const drive::Stat& stat,
                                         std::string_view name);
  Status mount_here(const std::string& path, const drive::Stat& stat, ByteView url);

  class Version;  // a FileVersion of a drive file (drive_backend.cpp)
  // A new version of `content`, noted as open (its content is not given back while it lives).
  std::shared_ptr<Version> open_version(drive::FileContent content);

  struct Commit;
  uv_idle_t* commit_idle_;  // one commit step per turn of the loop while active; freed on close
  std::deque<std::unique_ptr<Commit>> commits_;  // the front one is running once started
  std::optional<drive::Drive::FileWrite> running_;
  std::weak_ptr<ContentStream::State> streaming_;  // alive while a ContentStream lives (start_stream)
  // Content of removed and replaced files, kept until the store runs low (old versions of the
  // drive read it until then), and the versions open files read (not given back while open).
  std::vector<drive::FileContent> released_;
  std::vector<std::weak_ptr<Version>> open_versions_;
  size_t open_versions_prune_at_ = 64;
  drive::Drive& drive_;
  node::Fetcher* fetcher_;
  const wire::Replicator* replicator_ = nullptr;
  bool pinned_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // expires with the backend
  ListingsAhead ahead_;
};

// The FUSE attributes of a drive entry.
Attr attr_of(const drive::Stat& stat);

}  // namespace hypermount::fuse
