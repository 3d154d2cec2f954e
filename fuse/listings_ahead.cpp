#include "fuse/listings_ahead.hpp"

#include "fuse/inode_table.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace hypermount::fuse {

ListingsAhead::ListingsAhead(uv_loop_t* loop, List list, Version version)
    : idle_(new uv_idle_t), list_(std::move(list)), version_(std::move(version)) {
  uv_idle_init(loop, idle_);
  idle_->data = this;
}

ListingsAhead::~ListingsAhead() {
  uv_idle_stop(idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(idle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

void ListingsAhead::set_requests_waiting(std::function<bool()> waiting) {
  waiting_ = std::move(waiting);
  if (!waiting_) forget();
}

void ListingsAhead::check_version() {
  const uint64_t now = version_();
  if (now == at_version_) return;
  at_version_ = now;
  forget();
}

void ListingsAhead::forget() {
  drop_ready();
  queue_.clear();
  queued_.clear();
  recent_.clear();
  recent_order_.clear();
}

std::optional<std::vector<DirEntry>> ListingsAhead::take(const std::string& path) {
  check_version();
  auto it = ready_.find(path);
  if (it == ready_.end()) return std::nullopt;
  std::vector<DirEntry> entries = std::move(it->second);
  ready_.erase(it);
  ready_entries_ -= entries.size();
  ++taken_;
  return entries;
}

void ListingsAhead::listed(const std::string& path, const std::vector<DirEntry>& entries) {
  check_version();
  std::vector<std::string> folders;
  for (const DirEntry& entry : entries) {
    if (S_ISDIR(entry.attr.mode)) folders.push_back(InodeTable::join(path, entry.name));
  }
  auto parent = recent_.find(InodeTable::parent(path));
  if (path != "/" && parent != recent_.end()) {  // a walk: its folders next, then its siblings
    std::vector<std::string> next = folders;
    const auto& siblings = parent->second;
    auto self = std::find(siblings.begin(), siblings.end(), path);
    if (self != siblings.end()) next.insert(next.end(), self + 1, siblings.end());
    // Listings made ahead that the walk went past are left behind: room for the next.
    if (!room()) drop_ready();
    queue_front(next);
  }
  if (recent_.insert_or_assign(path, std::move(folders)).second) recent_order_.push_back(path);
  while (recent_order_.size() > kMaxRecent) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  if (!queue_.empty() && room()) {
    uv_idle_start(idle_, [](uv_idle_t* h) { static_cast<ListingsAhead*>(h->data)->step(); });
  }
}

void ListingsAhead::drop_ready() {
  ready_.clear();
  ready_entries_ = 0;
}

void ListingsAhead::queue_front(const std::vector<std::string>& paths) {
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    if (ready_.contains(*it) || !queued_.insert(*it).second) continue;
    queue_.push_front(*it);
  }
  while (queue_.size() > kMaxQueued) {
    queued_.erase(queue_.back());
    queue_.pop_back();
  }
}

void ListingsAhead::step() {
  if (waiting_ && waiting_()) return;  // this turn of the loop takes them first
  check_version();
  if (queue_.empty() || !room()) {
    uv_idle_stop(idle_);
    return;
  }
  // A queued folder is never ready (queue_front leaves those out; only this makes them).
  std::string path = std::move(queue_.front());
  queue_.pop_front();
  queued_.erase(path);
  // One listing per turn: the kernel's requests come in between. One that lacks blocks (a
  // remote drive) is left to the walk, which fetches them when it gets there.
  if (auto entries = list_(path)) {
    ready_entries_ += entries->size();
    ready_.emplace(std::move(path), std::move(*entries));
    ++made_;
  }
}

}  // namespace hypermount::fuse
