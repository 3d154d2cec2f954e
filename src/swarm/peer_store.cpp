#include "swarm/peer_store.hpp"

#include <algorithm>

namespace hypermount::swarm {

bool PeerStore::erase(Generation& generation, size_t& size, const std::string& key,
                      const Bytes& record) {
  auto it = generation.find(key);
  if (it == generation.end() || it->second.erase(record) == 0) return false;
  --size;
  if (it->second.empty()) generation.erase(it);
  return true;
}

void PeerStore::add(const std::string& key, const Bytes& record) {
  erase(stale_, stale_size_, key, record);
  if (fresh_.contains(key) && fresh_[key].contains(record)) return;
  if (fresh_size_ >= kMaxRecords / 2) rotate();
  fresh_[key].insert(record);
  ++fresh_size_;
}

void PeerStore::remove(const std::string& key, const Bytes& record) {
  erase(fresh_, fresh_size_, key, record);
  erase(stale_, stale_size_, key, record);
}

std::vector<Bytes> PeerStore::get(const std::string& key, size_t count, const Bytes& exclude,
                                  const std::function<uint64_t(uint64_t)>& random_below) const {
  std::vector<Bytes> all;
  for (const Generation* generation : {&fresh_, &stale_}) {
    auto it = generation->find(key);
    if (it == generation->end()) continue;
    for (const Bytes& record : it->second) {
      if (record != exclude) all.push_back(record);
    }
  }
  // A partial Fisher-Yates shuffle picks `count` at random.
  size_t n = std::min(count, all.size());
  for (size_t i = 0; i < n; ++i) {
    size_t j = i + static_cast<size_t>(random_below(all.size() - i));
    std::swap(all[i], all[j]);
  }
  all.resize(n);
  return all;
}

void PeerStore::rotate() {
  stale_ = std::move(fresh_);
  stale_size_ = fresh_size_;
  fresh_.clear();
  fresh_size_ = 0;
}

}  // namespace hypermount::swarm
