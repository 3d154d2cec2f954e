// The records a HyperDHT node keeps for `peers` announcements: byte strings under string keys
// in two generations swapped every 8 min, so an unrefreshed record lives 8-16 min (spec
// swarm.md §4.1). At most kMaxRecords records in all. Loop thread only.
#pragma once

#include "util/bytes.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hypermount::swarm {

constexpr size_t kMaxRecords = 65536;

class PeerStore {
 public:
  // Adds or refreshes `record` under `key`; a full generation is swapped out first.
  void add(const std::string& key, const Bytes& record);
  void remove(const std::string& key, const Bytes& record);
  // Up to `count` records under `key` other than `exclude`, picked at random by `random_below`.
  std::vector<Bytes> get(const std::string& key, size_t count, const Bytes& exclude,
                         const std::function<uint64_t(uint64_t)>& random_below) const;
  // Drops the older generation (every 8 min).
  void rotate();
  size_t size() const { return fresh_size_ + stale_size_; }

 private:
  using Generation = std::map<std::string, std::set<Bytes>>;
  static bool erase(Generation& generation, size_t& size, const std::string& key,
                    const Bytes& record);

  Generation fresh_, stale_;
  size_t fresh_size_ = 0, stale_size_ = 0;
};

}  // namespace hypermount::swarm
