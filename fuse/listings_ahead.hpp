// Folder listings worked out ahead of a walk (find, du, ls -R, tar, grep -r open folder after
// folder), one per turn of the loop while the kernel takes in the last one. Loop thread.
#pragma once

#include "fuse/fs_backend.hpp"
#include "util/result.hpp"

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hypermount::fuse {

class ListingsAhead {
 public:
  // Lists a folder from local data only (a listing that lacks blocks fails and is not retried).
  using List = std::function<Result<std::vector<DirEntry>>(const std::string& path)>;
  // What any change to the drive (or a drive mounted in it) makes grow.
  using Version = std::function<uint64_t()>;

  // Listings ready and not yet taken, at most, and their entries (about 100 bytes each).
  static constexpr size_t kMaxReady = 256;
  static constexpr size_t kMaxReadyEntries = 1 << 17;
  // Folders waiting to be listed ahead, at most (the oldest are left out).
  static constexpr size_t kMaxQueued = 4096;
  // Folders listed lately whose subfolders a walk may open next.
  static constexpr size_t kMaxRecent = 64;

  ListingsAhead(uv_loop_t* loop, List list, Version version);
  ~ListingsAhead();
  ListingsAhead(const ListingsAhead&) = delete;
  ListingsAhead& operator=(const ListingsAhead&) = delete;

  // While `waiting` holds (the kernel has requests for us), nothing is listed ahead. Null: the
  // kernel is gone (unmounted), and so is everything listed or to be listed ahead.
  void set_requests_waiting(std::function<bool()> waiting);
  // The listing of `path` made ahead at the drive's current version, taken out (nullopt if none).
  std::optional<std::vector<DirEntry>> take(const std::string& path);
  // `path` was just listed as `entries`. When its parent was listed lately (a walk goes down),
  // its subfolders are listed ahead, then its parent's subfolders after it, in listing order.
  void listed(const std::string& path, const std::vector<DirEntry>& entries);

  // Listings made ahead so far, and those taken (for tests).
  uint64_t made() const { return made_; }
  uint64_t taken() const { return taken_; }

 private:
  // Lists the next queued folder; stops the idle handle when nothing is left or room is.
  void step();
  // forget() once the drive changed.
  void check_version();
  void queue_front(const std::vector<std::string>& paths);
  // Whether another listing may be made ahead now.
  bool room() const { return ready_.size() < kMaxReady && ready_entries_ < kMaxReadyEntries; }
  void drop_ready();
  // Drops everything listed, to be listed, or listed lately.
  void forget();

  uv_idle_t* idle_;  // freed in its close callback
  List list_;
  Version version_;
  std::function<bool()> waiting_;
  uint64_t at_version_ = 0;
  std::unordered_map<std::string, std::vector<DirEntry>> ready_;
  size_t ready_entries_ = 0;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> queued_;
  // Folder -> its subfolders, for the folders listed lately (oldest first in recent_order_).
  std::unordered_map<std::string, std::vector<std::string>> recent_;
  std::deque<std::string> recent_order_;
  uint64_t made_ = 0;
  uint64_t taken_ = 0;
};

}  // namespace hypermount::fuse
