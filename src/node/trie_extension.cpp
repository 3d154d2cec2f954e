#include "node/trie_extension.hpp"

#include "hypertrie.pb.h"
#include "node/peer_budget.hpp"
#include "trie/block_log.hpp"
#include "trie/trie.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace hypermount::node {

namespace {

// What one request may name at most, and per cache message (hypertrie's MAX_ACTIVE_BATCH and
// FLUSH_BATCH).
constexpr size_t kMaxSeqs = 2176;
constexpr size_t kSeqsPerCache = 128;
// Iterator flags (hypertrie.md §13.2).
constexpr uint64_t kRecursive = 1;
constexpr uint64_t kReverse = 2;
constexpr uint64_t kGreaterThan = 4;
constexpr uint64_t kHidden = 8;
// What each peer may have read for it (PeerBudget, in blocks): 32 iterators' worth at once, 8
// a second after that. JS hypertrie runs at most 32 requests at a time; a request costs up to
// kMaxSeqs block reads here, on the loop.
constexpr double kBudgetBlocks = 32.0 * kMaxSeqs;
constexpr double kBudgetBlocksPerSecond = 8.0 * kMaxSeqs;

// Reads blocks of a core, noting each local one the first time it is read.
class RecordingReader final : public trie::BlockReader {
 public:
  explicit RecordingReader(core::Core& core) : log_(core) {}
  Result<Bytes> block(uint64_t seq) override {
    auto got = log_.block(seq);
    if (got && seen_.insert(seq).second) seqs_.push_back(seq);
    return got;
  }
  uint64_t length() const override { return log_.length(); }
  const std::vector<uint64_t>& seqs() const { return seqs_; }

 private:
  trie::CoreLog log_;
  std::set<uint64_t> seen_;
  std::vector<uint64_t> seqs_;
};

// A peer's message, or nullopt when it does not decode (ParseFromArray would log every failure
// to stderr: a peer could fill the log).
std::optional<trie::pb::Extension> decode(ByteView payload) {
  trie::pb::Extension message;
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !message.ParsePartialFromArray(payload.data(), static_cast<int>(payload.size())) || !message.IsInitialized()) {
    return std::nullopt;
  }
  return message;
}

Bytes cache_message(std::span<const uint64_t> seqs) {
  trie::pb::Extension reply;
  auto* cache = reply.mutable_cache();
  for (uint64_t seq : seqs) cache->add_blocks(seq);
  cache->set_start(*std::min_element(seqs.begin(), seqs.end()));
  cache->set_end(*std::max_element(seqs.begin(), seqs.end()) + 1);
  Bytes bytes(reply.ByteSizeLong());
  reply.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()));
  return bytes;
}

}  // namespace

TrieExtensionAnswer answer_trie_extension(core::Core& core, ByteView payload) {
  auto decoded = decode(payload);
  if (!decoded) return {};
  const trie::pb::Extension& message = *decoded;
  RecordingReader reader(core);
  trie::Trie trie(reader);
  if (message.has_get() && message.get().has_key()) {
    auto view = trie.checkout(message.get().head() + 1);
    (void)view->get(message.get().key());  // what it read is the answer, found or not
  } else if (message.has_iterator() && message.iterator().has_key()) {
    const auto& asked = message.iterator();
    trie::ListOptions options;
    options.recursive = (asked.flags() & kRecursive) != 0;
    options.reverse = (asked.flags() & kReverse) != 0;
    options.gt = (asked.flags() & kGreaterThan) != 0;
    options.hidden = (asked.flags() & kHidden) != 0;
    auto view = trie.checkout(asked.head() + 1);
    trie::Iterator iterator = view->iterator(asked.key(), options);
    while (reader.seqs().size() < kMaxSeqs) {
      auto next = iterator.next();
      if (!next || !*next) break;
    }
  } else {
    return {};
  }
  const std::span<const uint64_t> seqs(reader.seqs().data(), std::min(reader.seqs().size(), kMaxSeqs));
  TrieExtensionAnswer answer;
  answer.blocks_read = reader.seqs().size();
  for (size_t at = 0; at < seqs.size(); at += kSeqsPerCache) {
    answer.messages.push_back(cache_message(seqs.subspan(at, std::min(kSeqsPerCache, seqs.size() - at))));
  }
  return answer;
}

Bytes trie_query_message(const drive::MissingBlocks::TrieQuery& query) {
  trie::pb::Extension message;
  if (query.iterator_flags) {
    message.mutable_iterator()->set_head(query.head);
    message.mutable_iterator()->set_key(query.key);
    message.mutable_iterator()->set_flags(*query.iterator_flags);
  } else {
    message.mutable_get()->set_head(query.head);
    message.mutable_get()->set_key(query.key);
  }
  Bytes bytes(message.ByteSizeLong());
  message.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()));
  return bytes;
}

std::vector<uint64_t> cached_blocks(ByteView payload) {
  auto message = decode(payload);
  if (!message || !message->has_cache()) return {};
  const auto& blocks = message->cache().blocks();
  return std::vector<uint64_t>(blocks.begin(), blocks.begin() + std::min<int>(blocks.size(), static_cast<int>(kMaxSeqs)));
}

Status answer_trie_extension_on(wire::Replicator& replicator, core::Core& metadata,
                                std::function<void(std::vector<uint64_t>)> on_cache) {
  const std::string name(kTrieExtension);
  auto budget = std::make_shared<PeerBudget>(kBudgetBlocks, kBudgetBlocksPerSecond);
  return replicator.set_extensions(metadata, {name}, [&replicator, &metadata, name, budget, on_cache = std::move(on_cache)](
                                                         uint64_t peer, const std::string& got, ByteView payload) {
    if (got != name) return;
    if (on_cache) {
      if (auto blocks = cached_blocks(payload); !blocks.empty()) {
        on_cache(std::move(blocks));
        return;
      }
    }
    if (!budget->allows(peer)) {
      log::debug("node", "peer {}: hypertrie extension not answered (it asked for too much)", peer);
      return;
    }
    auto answer = answer_trie_extension(metadata, payload);
    budget->spend(peer, static_cast<double>(answer.blocks_read) + 1);
    log::debug("node", "peer {}: hypertrie extension answered with {} cache messages", peer, answer.messages.size());
    for (Bytes& reply : answer.messages) {
      if (auto sent = replicator.send_extension(metadata, peer, name, std::move(reply)); !sent) return;
    }
  });
}

}  // namespace hypermount::node
