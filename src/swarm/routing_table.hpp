// The DHT routing table: k-buckets of contacts by shared id prefix with the local id, k = 20
// (spec swarm.md §3.6). Bounded to 256·20 contacts. Loop thread only (no I/O of its own).
#pragma once

#include "swarm/address.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace hypermount::swarm {

constexpr size_t kBucketSize = 20;

struct Contact {
  NodeId id{};
  Ipv4Address address;
  uint64_t last_seen = 0;  // housekeeping tick of the last message from it
};

class RoutingTable {
 public:
  explicit RoutingTable(const NodeId& own_id) : own_id_(own_id) {}

  enum class Added { New, Refreshed, BucketFull, Refused };
  // Adds or refreshes a contact (refusing the local id). When its bucket is full the contact is
  // not added and `oldest_in_bucket` names the bucket's least recently seen contact, which the
  // caller may ping and remove if it does not answer.
  Added add(const Contact& contact, std::optional<Contact>* oldest_in_bucket = nullptr);
  void remove(const NodeId& id);
  // Up to `count` contacts by XOR distance to `target`, closest first.
  std::vector<Contact> closest(const NodeId& target, size_t count) const;
  // The `count` least recently seen contacts.
  std::vector<Contact> oldest(size_t count) const;
  size_t size() const { return size_; }

 private:
  size_t bucket_of(const NodeId& id) const;
  // The first `count` contacts in the order `less` defines.
  template <typename Less>
  std::vector<Contact> first_by(size_t count, Less less) const;

  NodeId own_id_;
  std::array<std::vector<Contact>, kIdSize * 8> buckets_;
  size_t size_ = 0;
};

}  // namespace hypermount::swarm
