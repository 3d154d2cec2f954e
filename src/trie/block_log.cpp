#include "trie/block_log.hpp"

#include "core/core.hpp"

namespace hypermount::trie {

Result<Bytes> CoreLog::block(uint64_t seq) {
  if (seq >= core_.length()) {
    return Error::not_found("trie block {}: log length is {}", seq, core_.length());
  }
  if (!core_.has(seq)) {
    return Error::unavailable("trie block {} is not local", seq);
  }
  auto bytes = core_.get(seq);
  if (!bytes && bytes.error().code() == Errc::NotFound) {
    return Error::unavailable("trie block {} is not local", seq);
  }
  return bytes;
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
