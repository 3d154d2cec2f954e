// A virtual clock and the events due on it, for simulations: time moves only from one event to
// the next. Events at the same millisecond run in the order they were scheduled. Single thread.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace hypermount::sim {

using Millis = uint64_t;

class EventQueue {
 public:
  Millis now() const { return now_; }
  void at(Millis when, std::function<void()> event) {
    queue_.push({when < now_ ? now_ : when, next_seq_++, std::move(event)});
  }
  void after(Millis delay, std::function<void()> event) { at(now_ + delay, std::move(event)); }
  // Runs the events due up to `until`, or until `stop()` holds after an event; the clock ends
  // at `until` unless stopped earlier. True when stopped by the predicate.
  bool run_until(Millis until, const std::function<bool()>& stop = nullptr) {
    while (!queue_.empty() && queue_.top().when <= until) {
      // The event may schedule others: take it off the queue before running it.
      Entry entry = std::move(const_cast<Entry&>(queue_.top()));
      queue_.pop();
      now_ = entry.when;
      entry.event();
      ++events_run_;
      if (stop && stop()) return true;
    }
    now_ = until;
    return false;
  }
  size_t pending() const { return queue_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    Millis when;
    uint64_t seq;
    std::function<void()> event;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : seq > other.seq;
    }
  };
  Millis now_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
};

}  // namespace hypermount::sim
