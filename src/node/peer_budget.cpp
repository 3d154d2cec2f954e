#include "node/peer_budget.hpp"

#include <algorithm>
#include <chrono>

namespace hypermount::node {

double PeerBudget::steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

PeerBudget::PeerBudget(double size, double per_second, Clock clock)
    : size_(size), per_second_(per_second), clock_(std::move(clock)) {}

PeerBudget::Bucket& PeerBudget::refilled(uint64_t peer) {
  const double now = clock_();
  if (buckets_.size() >= kMaxBuckets && !buckets_.contains(peer)) {
    std::erase_if(buckets_, [&](const auto& entry) {
      return entry.second.level + (now - entry.second.at) * per_second_ >= size_;
    });
  }
  auto [at, fresh] = buckets_.try_emplace(peer, Bucket{size_, now});
  Bucket& bucket = at->second;
  if (!fresh) {
    bucket.level = std::min(size_, bucket.level + (now - bucket.at) * per_second_);
    bucket.at = now;
  }
  return bucket;
}

bool PeerBudget::allows(uint64_t peer) { return refilled(peer).level > 0; }

void PeerBudget::spend(uint64_t peer, double work) { refilled(peer).level -= work; }

}  // namespace hypermount::node
