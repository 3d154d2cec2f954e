// How many background requests one peer gets in flight: grows while replies come back at about
// the path's base round trip, shrinks when they queue up (a delay-based window, as LEDBAT).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace hypermount::wire {

class RequestWindow {
 public:
  RequestWindow(size_t initial, size_t maximum)
      : size_(initial), minimum_(initial), maximum_(std::max(initial, maximum)) {}

  size_t size() const { return size_; }
  // A new bound (at least the initial size), as what a request brings becomes known.
  void set_maximum(size_t maximum) {
    maximum_ = std::max(minimum_, maximum);
    size_ = std::min(size_, maximum_);
  }

  // A reply came `rtt_ms` after its request; `window_full`: the window held requests back when
  // they were last sent. One more per reply doubles the window every round trip while it is
  // full and replies are not delayed by queueing (at most twice the lowest round trip seen,
  // plus a slack for the millisecond clock); a queued reply shrinks it by an eighth.
  void on_reply(uint64_t rtt_ms, bool window_full) {
    base_rtt_ms_ = std::min(base_rtt_ms_, rtt_ms);
    if (rtt_ms > 2 * base_rtt_ms_ + kSlackMs) {
      size_ = std::max(minimum_, size_ - size_ / 8);
    } else if (window_full) {
      size_ = std::min(maximum_, size_ + 1);
    }
  }

 private:
  static constexpr uint64_t kSlackMs = 10;
  size_t size_;
  size_t minimum_;
  size_t maximum_;
  uint64_t base_rtt_ms_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace hypermount::wire
