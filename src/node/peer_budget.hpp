// How much work each peer may still have done for it on request (blocks read to answer it): a
// bucket per peer, refilled at a steady rate up to its size. Loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>

namespace hypermount::node {

class PeerBudget {
 public:
  // Seconds on a monotonic clock.
  using Clock = std::function<double()>;
  static double steady_seconds();

  // Each peer starts with `size` units and gets `per_second` back, up to `size`.
  PeerBudget(double size, double per_second, Clock clock = steady_seconds);

  // Whether `peer` has any of its budget left now (a request may then cost more than is left).
  bool allows(uint64_t peer);
  // Takes `work` units from `peer`'s budget (below zero if it had less: it waits longer).
  void spend(uint64_t peer, double work);
  // Peers with a bucket now.
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double level = 0;
    double at = 0;  // when `level` was worked out
  };
  Bucket& refilled(uint64_t peer);
  // Buckets kept at most; past this, full ones (peers idle long enough) are dropped.
  static constexpr size_t kMaxBuckets = 1024;

  double size_;
  double per_second_;
  Clock clock_;
  std::unordered_map<uint64_t, Bucket> buckets_;
};

}  // namespace hypermount::node
