#include "swarm/routing_table.hpp"

#include <algorithm>
#include <bit>

namespace hypermount::swarm {

size_t RoutingTable::bucket_of(const NodeId& id) const {
  for (size_t i = 0; i < kIdSize; ++i) {
    uint8_t diff = id[i] ^ own_id_[i];
    if (diff != 0) return i * 8 + static_cast<size_t>(std::countl_zero(diff));
  }
  return buckets_.size();  // the local id itself
}

RoutingTable::Added RoutingTable::add(const Contact& contact,
                                      std::optional<Contact>* oldest_in_bucket) {
  size_t index = bucket_of(contact.id);
  if (index >= buckets_.size()) return Added::Refused;
  auto& bucket = buckets_[index];
  auto it = std::find_if(bucket.begin(), bucket.end(),
                         [&](const Contact& c) { return c.id == contact.id; });
  if (it != bucket.end()) {
    // Most recently seen last, as k-bucket keeps them.
    bucket.erase(it);
    bucket.push_back(contact);
    return Added::Refreshed;
  }
  if (bucket.size() >= kBucketSize) {
    if (oldest_in_bucket) *oldest_in_bucket = bucket.front();
    return Added::BucketFull;
  }
  bucket.push_back(contact);
  ++size_;
  return Added::New;
}

void RoutingTable::remove(const NodeId& id) {
  size_t index = bucket_of(id);
  if (index >= buckets_.size()) return;
  auto& bucket = buckets_[index];
  auto it = std::find_if(bucket.begin(), bucket.end(), [&](const Contact& c) { return c.id == id; });
  if (it == bucket.end()) return;
  bucket.erase(it);
  --size_;
}

template <typename Less>
std::vector<Contact> RoutingTable::first_by(size_t count, Less less) const {
  std::vector<Contact> all;
  all.reserve(size_);
  for (const auto& bucket : buckets_) all.insert(all.end(), bucket.begin(), bucket.end());
  size_t n = std::min(count, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), less);
  all.resize(n);
  return all;
}

std::vector<Contact> RoutingTable::closest(const NodeId& target, size_t count) const {
  return first_by(count, [&](const Contact& a, const Contact& b) {
    return closer(target, a.id, b.id);
  });
}

std::vector<Contact> RoutingTable::oldest(size_t count) const {
  return first_by(count,
                  [](const Contact& a, const Contact& b) { return a.last_seen < b.last_seen; });
}

}  // namespace hypermount::swarm
