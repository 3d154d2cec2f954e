#include "node/trie_extension.hpp"

#include "hypertrie.pb.h"
#include "node/idle_steps.hpp"
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
// Queries waiting for their answer at most (all peers of a core); past it they are not answered.
constexpr size_t kMaxWaitingAnswers = 1024;

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

struct TrieQueryAnswer::Walk {
  explicit Walk(core::Core& core) : reader(core), trie(reader) {}
  RecordingReader reader;
  trie::Trie trie;
  std::unique_ptr<trie::Trie> view;       // the trie at the asker's version
  std::optional<trie::Iterator> iterator;  // an iteration's, until it ends
  size_t named = 0;                        // blocks put in messages so far
};

TrieQueryAnswer::TrieQueryAnswer(core::Core& core, ByteView payload) {
  auto decoded = decode(payload);
  if (!decoded) return;
  const trie::pb::Extension& message = *decoded;
  auto walk = std::make_unique<Walk>(core);
  if (message.has_get() && message.get().has_key()) {
    walk->view = walk->trie.checkout(message.get().head() + 1);
    (void)walk->view->get(message.get().key());  // what it read is the answer, found or not
  } else if (message.has_iterator() && message.iterator().has_key()) {
    const auto& asked = message.iterator();
    trie::ListOptions options;
    options.recursive = (asked.flags() & kRecursive) != 0;
    options.reverse = (asked.flags() & kReverse) != 0;
    options.gt = (asked.flags() & kGreaterThan) != 0;
    options.hidden = (asked.flags() & kHidden) != 0;
    walk->view = walk->trie.checkout(asked.head() + 1);
    walk->iterator.emplace(walk->view->iterator(asked.key(), options));
  } else {
    return;
  }
  walk_ = std::move(walk);
}

TrieQueryAnswer::~TrieQueryAnswer() = default;

size_t TrieQueryAnswer::blocks_read() const { return walk_ ? walk_->reader.seqs().size() : 0; }

Bytes TrieQueryAnswer::next_message() {
  if (!walk_) return {};
  Walk& w = *walk_;
  const auto& seqs = w.reader.seqs();
  const size_t wanted = std::min(kMaxSeqs, w.named + kSeqsPerCache);
  while (w.iterator && seqs.size() < wanted) {
    auto next = w.iterator->next();
    if (!next || !*next) w.iterator.reset();
  }
  const size_t count = std::min(seqs.size(), wanted) - std::min(seqs.size(), w.named);
  if (count == 0) return {};
  Bytes message = cache_message(std::span<const uint64_t>(seqs.data() + w.named, count));
  w.named += count;
  return message;
}

TrieExtensionAnswer answer_trie_extension(core::Core& core, ByteView payload) {
  TrieQueryAnswer query(core, payload);
  TrieExtensionAnswer answer;
  for (Bytes message = query.next_message(); !message.empty(); message = query.next_message()) {
    answer.messages.push_back(std::move(message));
  }
  answer.blocks_read = query.blocks_read();
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
  // Answers in progress; they end with the handler (the core leaving the replicator).
  auto answering = std::make_shared<IdleSteps>(replicator.loop());
  return replicator.set_extensions(metadata, {name}, [&replicator, &metadata, name, budget, answering, on_cache = std::move(on_cache)](
                                                         uint64_t peer, const std::string& got, ByteView payload) {
    if (got != name) return;
    if (on_cache) {
      if (auto blocks = cached_blocks(payload); !blocks.empty()) {
        on_cache(std::move(blocks));
        return;
      }
    }
    if (answering->jobs() >= kMaxWaitingAnswers) {
      log::debug("node", "peer {}: hypertrie extension not answered ({} answers wait)", peer, answering->jobs());
      return;
    }
    // Answered in order, a cache message per turn of the loop from the next one on: blocks
    // requested in the same read, and meanwhile, leave between the messages, not after the
    // whole walk (an iteration's 2,176 blocks took 23-33 ms here, which a lookup's few blocks
    // waited behind). The budget is asked when the answer's turn comes, after those before it.
    std::shared_ptr<TrieQueryAnswer> answer;
    size_t sent = 0;
    answering->add([&replicator, &metadata, name, budget, peer, query = Bytes(payload.begin(), payload.end()), answer,
                    sent]() mutable {
      if (!answer) {
        if (!budget->allows(peer)) {
          log::debug("node", "peer {}: hypertrie extension not answered (it asked for too much)", peer);
          return false;
        }
        budget->spend(peer, 1);
        answer = std::make_shared<TrieQueryAnswer>(metadata, query);
      }
      const size_t read_before = answer->blocks_read();
      Bytes message = answer->next_message();
      budget->spend(peer, static_cast<double>(answer->blocks_read() - read_before));
      if (message.empty()) {
        log::debug("node", "peer {}: hypertrie extension answered with {} cache messages", peer, sent);
        return false;
      }
      ++sent;
      return replicator.send_extension(metadata, peer, name, std::move(message)).ok();
    });
  });
}

}  // namespace hypermount::node
