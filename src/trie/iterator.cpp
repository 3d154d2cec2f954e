#include "trie/iterator.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <unordered_map>
#include <optional>

#include "trie/detail/node_source.hpp"
#include "trie/detail/walks.hpp"

namespace hypermount::trie {

namespace {

// Push order of digit values; the stack is LIFO, so output order is 4, 0, 1, 2, 3 (§12.1).
constexpr std::array<uint8_t, 5> kPushOrder = {3, 2, 1, 0, 4};
constexpr std::array<uint8_t, 5> kReversePushOrder = {4, 0, 1, 2, 3};

}  // namespace

Iterator::Iterator(BlockReader& reader, std::shared_ptr<NodeCache> cache, uint64_t head_seq,
                   std::string prefix, ListOptions options)
    : reader_(reader),
      cache_(std::move(cache)),
      head_seq_(head_seq),
      prefix_(normalize_key(prefix)),
      options_(options) {}

Status Iterator::open() {
  detail::NodeSource source(reader_, *cache_);
  const Node query(prefix_, std::nullopt, options_.hidden ? kHiddenFlag : 0);
  auto head = source.node(head_seq_);
  if (!head) {
    missing_ = source.missing();
    return head.error();
  }
  auto found = detail::walk_get(source, *head, query, /*prefix=*/true, /*closest=*/false);
  if (!found) {
    missing_ = source.missing();
    return found.error();
  }
  start_ = query.length() - 1;
  end_ = options_.recursive ? std::numeric_limits<uint64_t>::max()
                            : start_ + kDigitsPerComponent;
  if (*found) {
    stack_.push_back(Entry{start_, (*found)->seq(), *found, true});
  }
  opened_ = true;
  return {};
}

Status Iterator::load_pending() {
  if (loaded_below_ == stack_.size()) {
    return {};
  }
  detail::NodeSource source(reader_, *cache_);
  std::optional<Error> failure;
  size_t first_unloaded = stack_.size();
  for (size_t k = loaded_below_; k < stack_.size(); ++k) {
    Entry& e = stack_[k];
    if (e.loaded) {
      continue;
    }
    auto n = source.node(e.seq);
    if (!n) {
      if (!failure) {
        failure = n.error();
        first_unloaded = k;
      }
      continue;
    }
    e.node = *n;
    e.loaded = true;
  }
  loaded_below_ = first_unloaded;
  missing_ = source.missing();
  if (failure) {
    return *failure;
  }
  return {};
}

void Iterator::sort_pending() {
  // Collided siblings pop in ascending key order: sort each range descending (the top of the
  // stack is the end of the range). Ranges are applied last-recorded first, as the reference.
  while (!needs_sort_.empty()) {
    auto [from, to] = needs_sort_.back();
    needs_sort_.pop_back();
    std::stable_sort(stack_.begin() + static_cast<std::ptrdiff_t>(from),
                     stack_.begin() + static_cast<std::ptrdiff_t>(to),
                     [](const Entry& a, const Entry& b) {
                       const std::string empty;
                       const std::string& ka = a.node ? a.node->key() : empty;
                       const std::string& kb = b.node ? b.node->key() : empty;
                       return ka > kb;
                     });
  }
}

Result<NodePtr> Iterator::next() {
  missing_.clear();
  if (!opened_) {
    HM_TRY(open());
  }
  const auto& order = options_.reverse ? kReversePushOrder : kPushOrder;
  while (true) {
    HM_TRY(load_pending());
    sort_pending();
    if (stack_.empty()) {
      return NodePtr{};
    }
    Entry top = std::move(stack_.back());
    stack_.pop_back();
    loaded_below_ = std::min(loaded_below_, stack_.size());
    if (!top.node) {
      // A '' marker node reads as no node; the reference would crash here, we skip it.
      continue;
    }
    const uint64_t len = std::min(top.node->length(), end_);
    // Digits where the node has no bucket lead on only along its own key: go past them at once
    // (the reference pushes and pops the node again for each). The gt option's skip at start_
    // needs the single step there.
    const Bucket* bucket = top.node->trie().bucket_from(top.i);
    uint64_t i = std::min(len, bucket != nullptr ? bucket->index : len);
    if (options_.gt && top.i <= start_) {
      i = std::min(i, start_);
    }
    if (i >= len) {
      return top.node;
    }
    if (bucket != nullptr && bucket->index != i) {
      bucket = nullptr;
    }
    for (uint8_t d : order) {
      if (d == kEndDigit && options_.gt && i == start_) {
        continue;
      }
      const size_t before = stack_.size();
      if (top.node->digit(i) == d) {
        stack_.push_back(Entry{i + 1, top.seq, top.node, true});
      }
      for (uint64_t s = d; bucket != nullptr && s < bucket->slots.size(); s += kSlotStride) {
        if (bucket->slots[s] != 0) {
          stack_.push_back(Entry{i + 1, bucket->slots[s], nullptr, false});
        }
      }
      if (stack_.size() - before > 1) {
        needs_sort_.emplace_back(before, stack_.size());
      }
    }
  }
}

std::vector<uint64_t> Iterator::frontier() {
  if (!opened_) {
    return missing_;  // the lookup of the prefix itself stopped: one path, one node at a time
  }
  detail::NodeSource source(reader_, *cache_);
  // seq -> the lowest digit index it was queued at (a lower one expands more of the node).
  std::unordered_map<uint64_t, uint64_t> queued_at;
  std::deque<std::pair<uint64_t, uint64_t>> queue;
  auto enqueue = [&](uint64_t seq, uint64_t i) {
    auto [it, fresh] = queued_at.try_emplace(seq, i);
    if (!fresh) {
      if (it->second <= i) {
        return;
      }
      it->second = i;
    }
    queue.emplace_back(seq, i);
  };
  for (const Entry& e : stack_) {
    enqueue(e.seq, e.i);
  }
  while (!queue.empty()) {
    const auto [seq, i] = queue.front();
    queue.pop_front();
    if (queued_at[seq] < i) {
      continue;  // queued again lower down
    }
    auto node = source.node(seq);  // an absent block is recorded in source.missing()
    if (!node || !*node) {
      continue;
    }
    // Like next(): every pointer at digit index i or later (up to the listing's depth) is a
    // node the iteration will load. The gt option skips a few of them; reading them is harmless.
    const uint64_t end = std::min((*node)->length(), end_);
    for (const Bucket& bucket : (*node)->trie().buckets()) {
      if (bucket.index < i || bucket.index >= end) {
        continue;
      }
      for (uint64_t slot : bucket.slots) {
        if (slot != 0) {
          enqueue(slot, bucket.index + 1);
        }
      }
    }
  }
  return source.missing();
}

}  // namespace hypermount::trie
