// The background request window: grows while replies come back at the base round trip and the
// window is full, shrinks when replies queue up, and stays within its bounds (the maximum, or
// what the peer's delivery rate fills). Replies at one instant (now 0) count no rate.
#include "wire/request_window.hpp"

#include <doctest/doctest.h>

using hypermount::wire::RequestWindow;

TEST_CASE("request window: doubles per round trip on a 100 ms path, up to its maximum") {
  RequestWindow window(16, 1024);
  // One round trip: every request of a full window comes back after 100 ms.
  for (int round = 0; round < 4; ++round) {
    size_t size = window.size();
    for (size_t i = 0; i < size; ++i) window.on_reply(0, 100, true);
    CHECK(window.size() == 2 * size);
  }
  for (int i = 0; i < 5000; ++i) window.on_reply(0, 100, true);
  CHECK(window.size() == 1024);
}

TEST_CASE("request window: a window that is not full does not grow") {
  RequestWindow window(16, 1024);
  for (int i = 0; i < 100; ++i) window.on_reply(0, 5, false);
  CHECK(window.size() == 16);
}

TEST_CASE("request window: replies delayed by queueing shrink it, never below the start") {
  RequestWindow window(16, 1024);
  for (int i = 0; i < 200; ++i) window.on_reply(0, 20, true);
  size_t grown = window.size();
  REQUIRE(grown > 16);
  window.on_reply(0, 200, true);  // ten times the base: the requests are queueing somewhere
  CHECK(window.size() == grown - grown / 8);
  for (int i = 0; i < 100; ++i) window.on_reply(0, 200, true);
  CHECK(window.size() == 16);
  // The slack: 2 * base + 10 ms is still the path, not a queue.
  window.on_reply(0, 50, true);
  CHECK(window.size() == 17);
}

TEST_CASE("request window: a new maximum lets it grow further, or holds it lower at once") {
  RequestWindow window(16, 1024);
  for (int i = 0; i < 5000; ++i) window.on_reply(0, 100, true);
  REQUIRE(window.size() == 1024);
  // Small blocks: 1 MiB of 256-byte blocks is 4,096 requests.
  window.set_maximum(4096);
  for (int i = 0; i < 10000; ++i) window.on_reply(0, 100, true);
  CHECK(window.size() == 4096);
  window.set_maximum(512);
  CHECK(window.size() == 512);
  window.set_maximum(1);  // never below the start
  CHECK(window.size() == 16);
}

// Rounds of `per_round` replies each, spread over one 100 ms round trip, none of them queued.
void deliver_rounds(RequestWindow& window, uint64_t& now, int rounds, size_t per_round) {
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < per_round; ++i) window.on_reply(now + 100 * i / per_round, 100, true);
    now += 100;
  }
}

TEST_CASE("request window: a peer that delivers more than the maximum per round trip opens it further") {
  RequestWindow window(16, 1024);
  uint64_t now = 0;
  // A slow peer: 400 replies per round trip however many are asked. 5/4 of that is below the
  // maximum, which holds.
  deliver_rounds(window, now, 20, 400);
  CHECK(window.limit() == 1024);
  CHECK(window.size() == 1024);
  // A fast one answers the whole window every round trip: the window opens by at most a quarter
  // of what the last round brought, up to kMaxRateWindow.
  size_t last_round = 400;
  for (int round = 0; round < 30; ++round) {
    const size_t asked = window.size();
    deliver_rounds(window, now, 1, asked);
    CHECK(window.size() <= std::max<size_t>(1024, last_round * 5 / 4 + 1));
    last_round = asked;
  }
  CHECK(window.size() == RequestWindow::kMaxRateWindow);
  // It slows down: the limit falls back to the maximum, and the window with the next new bound.
  deliver_rounds(window, now, 2, 400);
  CHECK(window.limit() == 1024);
  window.set_maximum(1024);
  CHECK(window.size() == 1024);
}

TEST_CASE("request window: replies to gets count in the rate, and leave the window as it is") {
  RequestWindow window(16, 1024);
  uint64_t now = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < 4000; ++i) window.count_reply(now + 100 * i / 4000, 100);
    now += 100;
  }
  CHECK(window.size() == 16);
  CHECK(window.rate_limit() >= 4000);
  CHECK(window.rate_limit() <= 5000);
}
