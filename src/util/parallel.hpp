// Splits an index range over the machine's cores for CPU-heavy pure work (hashing a large
// append). The callable must touch only its own indices; returns when all are done.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace hypermount {

template <typename Fn>
void parallel_for(size_t count, Fn fn) {
  size_t workers = std::min<size_t>(count, std::max(1u, std::thread::hardware_concurrency()));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::vector<std::thread> threads;
  size_t per = (count + workers - 1) / workers;
  for (size_t w = 1; w < workers; ++w) {
    threads.emplace_back([&fn, w, per, count] {
      for (size_t i = w * per; i < std::min(count, (w + 1) * per); ++i) fn(i);
    });
  }
  for (size_t i = 0; i < std::min(count, per); ++i) fn(i);
  for (auto& t : threads) t.join();
}

}  // namespace hypermount
