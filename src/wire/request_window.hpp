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
  // The window the delivery rate may open past the maximum, at most (a peer's table of
  // requests stays bounded).
  static constexpr size_t kMaxRateWindow = 16384;

  RequestWindow(size_t initial, size_t maximum)
      : size_(initial), minimum_(initial), maximum_(std::max(initial, maximum)) {}

  size_t size() const { return size_; }
  // What the window may grow to: the maximum, or 5/4 of the replies the peer delivered per base
  // round trip lately when that is more (up to kMaxRateWindow). A peer that answers a long path
  // faster than the maximum lets through (many small blocks) is not held to it; a slower one
  // never gets more queued than the maximum, as before.
  size_t limit() const { return std::max(maximum_, rate_limit_); }
  // 5/4 of the replies delivered per base round trip lately, at most kMaxRateWindow (0 before
  // any was counted): what a peer keeps busy with.
  size_t rate_limit() const { return rate_limit_; }
  // A new bound (at least the initial size), as what a request brings becomes known.
  void set_maximum(size_t maximum) {
    maximum_ = std::max(minimum_, maximum);
    size_ = std::min(size_, limit());
  }

  // A reply came at loop time `now_ms`, `rtt_ms` after its request; `window_full`: the window
  // held requests back when they were last sent. One more per reply doubles the window every
  // round trip while it is full and replies are not delayed by queueing (at most twice the
  // lowest round trip seen, plus a slack for the millisecond clock); a queued reply shrinks it
  // by an eighth.
  void on_reply(uint64_t now_ms, uint64_t rtt_ms, bool window_full) {
    count_reply(now_ms, rtt_ms);
    if (rtt_ms > 2 * base_rtt_ms_ + kSlackMs) {
      size_ = std::max(minimum_, size_ - size_ / 8);
    } else if (window_full) {
      size_ = std::min(limit(), size_ + 1);
    }
  }
  // A reply to a request outside the window (a get): counted in the round trip and the rate,
  // the window left as it is.
  void count_reply(uint64_t now_ms, uint64_t rtt_ms) {
    base_rtt_ms_ = std::min(base_rtt_ms_, rtt_ms);
    note_delivery(now_ms);
  }

 private:
  static constexpr uint64_t kSlackMs = 10;
  // The delivery rate is counted over at least this long (and at least a base round trip).
  static constexpr uint64_t kMinRateSpanMs = 10;

  void note_delivery(uint64_t now_ms) {
    if (!counting_) {
      counting_ = true;
      count_from_ms_ = now_ms;
      return;
    }
    ++delivered_;
    const uint64_t span = now_ms - count_from_ms_;
    const uint64_t round_trip = std::max<uint64_t>(base_rtt_ms_, 1);
    if (span < std::max(round_trip, kMinRateSpanMs)) return;
    rate_limit_ = static_cast<size_t>(std::min<uint64_t>(kMaxRateWindow, delivered_ * round_trip * 5 / (4 * span)));
    delivered_ = 0;
    count_from_ms_ = now_ms;
  }

  size_t size_;
  size_t minimum_;
  size_t maximum_;
  uint64_t base_rtt_ms_ = std::numeric_limits<uint64_t>::max();
  // The delivery rate: replies since count_from_ms_ (counting from the first reply).
  bool counting_ = false;
  uint64_t count_from_ms_ = 0;
  uint64_t delivered_ = 0;
  size_t rate_limit_ = 0;
};

}  // namespace hypermount::wire
