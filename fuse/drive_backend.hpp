// FsBackend over a hyperdrive: path operations answered from the drive, retried after the
// blocks they lacked were fetched (when a fetcher is set). Loop thread only.
#pragma once

#include "drive/drive.hpp"
#include "fuse/fs_backend.hpp"

#include <functional>

namespace hypermount::fuse {

class DriveBackend final : public FsBackend {
 public:
  // Asks the network for blocks an operation lacked; `done` runs once they are local (or the
  // fetch failed or timed out), on the loop thread.
  using Fetcher = std::function<void(const drive::MissingBlocks&, std::function<void(Status)> done)>;

  // The drive must outlive the backend. Without a fetcher, a missing block is EIO at once.
  explicit DriveBackend(drive::Drive& drive, Fetcher fetcher = {}, bool pinned_version = false)
      : drive_(drive), fetcher_(std::move(fetcher)), pinned_(pinned_version) {}

  void lstat(std::string path, Callback<Attr> done) override;
  void readdir(std::string path, Callback<std::vector<DirEntry>> done) override;
  void read(std::string path, uint64_t offset, size_t size, Callback<Bytes> done) override;
  void readlink(std::string path, Callback<std::string> done) override;
  void getxattr(std::string path, std::string name, Callback<Bytes> done) override;
  void listxattr(std::string path, Callback<std::vector<std::string>> done) override;
  FsStats statfs() override;
  bool immutable() const override { return pinned_; }

 private:
  // Runs `attempt` until it stops failing with Unavailable (fetching what it lacked in
  // between, at most kMaxRounds times), then hands its result to `done`.
  template <typename T>
  void run(std::function<Result<T>()> attempt, Callback<T> done, int round = 0);

  drive::Drive& drive_;
  Fetcher fetcher_;
  bool pinned_;
};

// The FUSE attributes of a drive entry.
Attr attr_of(const drive::Stat& stat);

}  // namespace hypermount::fuse
