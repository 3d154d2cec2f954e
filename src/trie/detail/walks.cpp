#include "trie/detail/walks.hpp"

#include <optional>
#include <vector>

namespace hypermount::trie::detail {

namespace {

// Reads the siblings at slots digit, digit+5, ... of `bucket` (up to the first empty slot) and
// returns the last one that does not collide with `query` at index i, or nullptr. All of them
// are read even if one is missing, so a re-run can fetch them together.
Result<NodePtr> pick_sibling(NodeSource& source, const Bucket* bucket, uint8_t digit,
                             const Node& query, uint64_t i) {
  NodePtr found;
  std::optional<Error> failure;
  for (uint64_t s = digit; bucket != nullptr && s < bucket->slots.size(); s += kSlotStride) {
    const uint64_t seq = bucket->slots[s];
    if (seq == 0) {
      break;
    }
    auto n = source.node(seq);
    if (!n) {
      if (!failure) {
        failure = n.error();
      }
      continue;
    }
    if (*n && !(*n)->collides(query, i)) {
      found = *n;
    }
  }
  if (failure) {
    return *failure;
  }
  return found;
}

}  // namespace

Result<NodePtr> walk_get(NodeSource& source, NodePtr head, const Node& query, bool prefix,
                         bool closest) {
  const uint64_t limit = query.length() - (prefix ? 1 : 0);
  uint64_t i = 0;
  while (head) {
    bool moved = false;
    for (; i < limit; ++i) {
      const uint8_t q = query.digit(i);
      const bool terminator = is_terminator(i);
      if (head->digit(i) == q && (!terminator || !query.collides(*head, i))) {
        continue;
      }
      const Bucket* bucket = head->trie().bucket(i);
      if (terminator) {
        // The reference answers null here even with `closest`.
        HM_TRY_ASSIGN(NodePtr sibling, pick_sibling(source, bucket, q, query, i));
        head = std::move(sibling);
      } else {
        const uint64_t seq = bucket ? bucket->slot(q) : 0;
        if (seq == 0) {
          return closest ? head : NodePtr{};
        }
        HM_TRY_ASSIGN(NodePtr next, source.node(seq));
        head = std::move(next);
      }
      ++i;
      moved = true;
      break;
    }
    if (!moved) {
      return head;
    }
  }
  return NodePtr{};
}

Result<NodePtr> walk_put(NodeSource& source, NodePtr head, Node& node, uint64_t del) {
  RoutingTable& table = node.mutable_trie();
  auto push = [&](uint64_t i, uint64_t digit, uint64_t seq) {
    if (seq != del) {
      table.push(i, digit, seq);
    }
  };
  const uint64_t length = node.length();
  uint64_t i = 0;
  while (head) {
    bool moved = false;
    for (; i < length; ++i) {
      const bool terminator = is_terminator(i);
      const uint8_t v = node.digit(i);
      const Bucket* bucket = head->trie().bucket(i);
      const uint8_t h = head->digit(i);
      // Copy the head's bucket. At a terminator the reference pushes the copies only after
      // reading each node (asynchronously), i.e. after the head's own pointer below; keep that
      // order because it decides which collision slot each seq lands in.
      std::vector<std::pair<uint64_t, uint64_t>> collidable;
      if (bucket != nullptr) {
        for (uint64_t j = 0; j < bucket->slots.size(); ++j) {
          if (j == v && !terminator) {
            continue;
          }
          const uint64_t seq = bucket->slots[j];
          if (seq == 0) {
            continue;
          }
          if (!terminator) {
            push(i, j, seq);
          } else if (seq != del) {
            collidable.emplace_back(j, seq);
          }
        }
      }
      const bool stay = h == v && (!terminator || !node.collides(*head, i));
      if (!stay) {
        push(i, h, head->seq());
      }
      std::optional<Error> failure;
      for (const auto& [j, seq] : collidable) {
        auto other = source.node(seq);
        if (!other) {
          if (!failure) {
            failure = other.error();
          }
          continue;
        }
        if (*other && (*other)->collides(node, i)) {
          table.push(i, j, seq);
        }
      }
      if (failure) {
        return *failure;
      }
      if (stay) {
        continue;
      }
      if (terminator) {
        HM_TRY_ASSIGN(NodePtr sibling, pick_sibling(source, bucket, v, node, i));
        head = std::move(sibling);
      } else {
        const uint64_t seq = bucket ? bucket->slot(v) : 0;
        if (seq == 0) {
          return head;
        }
        HM_TRY_ASSIGN(NodePtr next, source.node(seq));
        head = std::move(next);
      }
      ++i;
      moved = true;
      break;
    }
    if (!moved) {
      return head;
    }
  }
  return NodePtr{};
}

Result<DeleteWalk> walk_delete(NodeSource& source, NodePtr head, const Node& query) {
  DeleteWalk walk;
  const uint64_t length = query.length();
  uint64_t i = 0;
  while (head) {
    bool moved = false;
    for (; i < length; ++i) {
      const uint8_t q = query.digit(i);
      const Bucket* bucket = head->trie().bucket(i);
      if (head->digit(i) == q) {
        // The first pointer of the bucket other than slot q becomes the closest neighbour.
        for (uint64_t s = 0; bucket != nullptr && s < bucket->slots.size(); ++s) {
          if (s != q && bucket->slots[s] != 0) {
            walk.closest = bucket->slots[s];
            break;
          }
        }
        continue;
      }
      const uint64_t seq = bucket ? bucket->slot(q) : 0;
      if (seq == 0) {
        walk.stopped_at = head;
        return walk;
      }
      walk.closest = head->seq();
      HM_TRY_ASSIGN(NodePtr next, source.node(seq));
      head = std::move(next);
      ++i;
      moved = true;
      break;
    }
    if (!moved) {
      // The reference does no collision handling here: the key string decides.
      if (head->key() != query.key()) {
        walk.stopped_at = head;
        return walk;
      }
      walk.target = head;
      return walk;
    }
  }
  return walk;
}

}  // namespace hypermount::trie::detail
