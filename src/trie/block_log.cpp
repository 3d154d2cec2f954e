#include "trie/block_log.hpp"

#include <algorithm>

#include "core/core.hpp"

namespace hypermount::trie {

Result<Bytes> CoreLog::block(uint64_t seq) {
  if (seq >= core_.length()) {
    return Error::not_found("trie block {}: log length is {}", seq, core_.length());
  }
  if (!core_.has(seq)) {
    return Error::unavailable("trie block {} is not local", seq);
  }
  if (groups_.empty()) groups_.resize(kGroupSlots);
  Group& group = groups_[(seq / kGroupBlocks) % kGroupSlots];
  if (seq >= group.first && seq - group.first < group.blocks.size() && !group.taken[seq - group.first]) {
    group.taken[seq - group.first] = true;
    return std::move(group.blocks[seq - group.first]);
  }
  const uint64_t group_end = std::min((seq / kGroupBlocks + 1) * kGroupBlocks, core_.length());
  uint64_t end = seq + 1;
  while (end < group_end && core_.has(end)) ++end;
  auto blocks = core_.get_blocks(seq, end - seq, kGroupBytes);
  if (!blocks && blocks.error().code() == Errc::NotFound) {
    return Error::unavailable("trie block {} is not local", seq);
  }
  HM_TRY(blocks);
  Bytes first = std::move(blocks->front());
  group.first = seq;
  group.blocks = std::move(*blocks);
  group.taken.assign(group.blocks.size(), false);
  group.taken[0] = true;
  return first;
}

uint64_t CoreLog::length() const { return core_.length(); }

bool CoreLog::writable() const { return core_.writable(); }

Status CoreLog::append(const std::vector<ByteView>& blocks) { return core_.append(blocks); }

Result<Bytes> MemoryLog::block(uint64_t seq) {
  reads_.push_back(seq);
  if (seq >= blocks_.size()) {
    return Error::not_found("trie block {}: log length is {}", seq, blocks_.size());
  }
  if (absent_.count(seq) != 0) {
    return Error::unavailable("trie block {} is not local", seq);
  }
  return blocks_[seq];
}

Status MemoryLog::append(const std::vector<ByteView>& blocks) {
  for (ByteView b : blocks) {
    blocks_.emplace_back(b.begin(), b.end());
  }
  return {};
}

void MemoryLog::set_absent(uint64_t seq, bool absent) {
  if (absent) {
    absent_.insert(seq);
  } else {
    absent_.erase(seq);
  }
}

}  // namespace hypermount::trie
