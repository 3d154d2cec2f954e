// Writes of received blocks held back so that a run of them reaches the data and tree files in
// a few writes instead of two per block: one stretch of data bytes and the tree nodes. Loop thread.
#pragma once

#include "core/merkle.hpp"
#include "util/bytes.hpp"

#include <cstdint>
#include <vector>

namespace hypermount::core {

class StagedWrites {
 public:
  // Blocks at least this large are written at once: copying them costs more than a write.
  static constexpr size_t kSmallBlockBytes = 16 * 1024;
  // Held bytes and nodes at most before they must be written.
  static constexpr size_t kMaxDataBytes = size_t{1} << 20;
  static constexpr size_t kMaxNodes = 16 * 1024;

  bool empty() const { return data_.empty() && nodes_.empty(); }
  bool has_nodes() const { return !nodes_.empty(); }
  // Whether `length` bytes at `offset` can join the held data: they continue it and it stays
  // within kMaxDataBytes.
  bool data_fits(uint64_t offset, size_t length) const {
    return data_.empty() || (offset == data_at_ + data_.size() && data_.size() + length <= kMaxDataBytes);
  }
  bool nodes_fit(size_t count) const { return nodes_.size() + count <= kMaxNodes; }
  // Whether held data lies in bytes [offset, offset + length).
  bool data_overlaps(uint64_t offset, uint64_t length) const {
    return !data_.empty() && offset < data_at_ + data_.size() && data_at_ < offset + length;
  }

  // Holds `bytes` at `offset` (data_fits must hold).
  void add_data(uint64_t offset, ByteView bytes) {
    if (data_.empty()) data_at_ = offset;
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }
  void add_nodes(const std::vector<Node>& nodes) { nodes_.insert(nodes_.end(), nodes.begin(), nodes.end()); }

  uint64_t data_offset() const { return data_at_; }
  ByteView data() const { return data_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  void clear() {
    data_.clear();
    nodes_.clear();
  }

 private:
  uint64_t data_at_ = 0;  // the data file offset of data_
  Bytes data_;
  std::vector<Node> nodes_;
};

}  // namespace hypermount::core
