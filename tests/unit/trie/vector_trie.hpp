// Test helper: replays the operations of vectors/hypertrie.json on a MemoryLog trie.
// Test thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "trie/block_log.hpp"
#include "trie/trie.hpp"
#include "util/bytes.hpp"

namespace hypermount::trie::test {

inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct VectorTrie {
  MemoryLog log;
  std::unique_ptr<Trie> trie;
  // blocks appended by each of the 22 operations, in order
  std::vector<std::vector<uint64_t>> appended;
};

// Runs operation `index` (0..21) of the vector file; returns the seqs it appended.
inline std::vector<uint64_t> run_vector_op(VectorTrie& v, size_t index) {
  const uint64_t before = v.log.length();
  auto put = [&](std::string_view key, std::string_view value, PutOptions opts = {}) {
    auto r = v.trie->put(key, as_bytes(value), opts);
    if (!r) throw std::runtime_error(r.error().to_string());
  };
  auto del = [&](std::string_view key) {
    auto r = v.trie->del(key);
    if (!r) throw std::runtime_error(r.error().to_string());
  };
  switch (index) {
    case 0: {
      auto t = Trie::open(v.log);
      if (!t) throw std::runtime_error(t.error().to_string());
      v.trie = std::move(*t);
      break;
    }
    case 1: put("hello", "world"); break;
    case 2: put("hello/world", "nested-1"); break;
    case 3: put("/hello/there", "nested-2"); break;
    case 4: put("a", "v-a"); break;
    case 5: put("b", "v-b"); break;
    case 6: put("c", "v-c"); break;
    case 7: put("d", "v-d"); break;
    case 8: put("e", "v-e"); break;
    case 9: put("f", "v-f"); break;
    case 10: put("g", "v-g"); break;
    case 11: put("h", "v-h"); break;
    case 12: put("dir/sub/deep.txt", "deep"); break;
    case 13: put("hello", "world-2"); break;
    case 14: {
      PutOptions o;
      o.flags = 5;
      put("flagged", "f", o);
      break;
    }
    case 15: {
      PutOptions o;
      o.hidden = true;
      put("secret/x", "hidden-value", o);
      break;
    }
    case 16: {
      PutOptions o;
      o.condition = [](const Node*, const Node&) { return false; };
      put("hello", "nope", o);
      break;
    }
    case 17: del("b"); break;
    case 18: del("hello"); break;
    case 19: del("does-not-exist"); break;
    case 20: {
      std::vector<BatchOp> ops(3);
      ops[0] = {BatchOp::Type::Put, "batch/1", text("b1"), false, 0};
      ops[1] = {BatchOp::Type::Put, "batch/2", text("b2"), false, 0};
      ops[2] = {BatchOp::Type::Delete, "c", std::nullopt, false, 0};
      auto r = v.trie->batch(ops);
      if (!r) throw std::runtime_error(r.error().to_string());
      break;
    }
    case 21: put("\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9/\xc3\x9f", "utf8 key"); break;
    default: throw std::runtime_error("no such vector operation");
  }
  std::vector<uint64_t> seqs;
  for (uint64_t s = before; s < v.log.length(); ++s) seqs.push_back(s);
  return seqs;
}

inline constexpr size_t kVectorOps = 22;

inline std::unique_ptr<VectorTrie> build_vector_trie() {
  crypto::init();
  auto v = std::make_unique<VectorTrie>();
  for (size_t i = 0; i < kVectorOps; ++i) v->appended.push_back(run_vector_op(*v, i));
  return v;
}

}  // namespace hypermount::trie::test
