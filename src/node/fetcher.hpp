// Makes blocks local by a deadline: one batch per call, every block requested at once, the
// deadline pushed back whenever a block of the batch arrives. Loop thread only.
#pragma once

#include "drive/drive.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>

namespace hypermount::node {

// Counters for tests, benchmarks and the mount's control attributes.
struct FetchStats {
  uint64_t batches = 0;   // fetch() calls that had to ask the network
  uint64_t blocks = 0;    // blocks asked for in them
  uint64_t timeouts = 0;  // batches that ended for lack of progress
  uint64_t queries = 0;   // trie operations peers were asked to name the blocks of
  uint64_t cached = 0;    // batches of blocks peers named in answer (not counted above)
};

class Fetcher {
 public:
  // `done` gets the number of blocks this batch made local (0 when all were already here), or
  // the first failure: Timeout when no block of the batch arrived for `timeout_ms`.
  using Done = std::function<void(Result<uint64_t>)>;

  // The replicator must outlive the fetcher. At most `max_pending_gets` gets wait at once.
  Fetcher(uv_loop_t* loop, wire::Replicator& replicator, uint64_t timeout_ms,
          size_t max_pending_gets = kMaxPendingGets);
  // Cancels every batch (their gets leave the replicator; `done` is not called).
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Asks every peer for the blocks of `missing` that are not local, all at once. `resumed`: the
  // batch is a later round of an operation whose last batch has just ended (a listing counts
  // once in a walk, however many rounds it takes). `done` runs on the loop thread after fetch()
  // has returned, exactly once.
  void fetch(const drive::MissingBlocks& missing, bool resumed, Done done);
  // A peer connected: blocks that timed out lately may come now.
  void forget_failures() { timed_out_.clear(); }
  // A peer named `blocks` of metadata core `core_key` in answer to a trie query this fetcher
  // sent (node/trie_extension.hpp): they are fetched in a batch nobody waits for. Ignored for a
  // core it asked nothing about.
  void cached(const crypto::PublicKey& core_key, const std::vector<uint64_t>& blocks);

  const FetchStats& stats() const { return stats_; }
  // Batches waiting, and gets they hold in the replicator (both 0 once every batch ended).
  size_t pending_batches() const;
  size_t pending_gets() const;

  // A batch whose blocks all timed out this recently fails at once (the kernel retries a failed
  // read-ahead as a plain read) until a peer connects.
  static constexpr uint64_t kRecentFailureMs = 5000;
  // Remembered timed-out blocks at most.
  static constexpr size_t kMaxRememberedFailures = 4096;
  // A listing that lacks blocks this soon after the start or end of the last listing batch of
  // the same metadata core continues a walk (find, du, ls -R list folder after folder at once).
  static constexpr uint64_t kWalkGapMs = 1000;
  // Gets waiting in all batches at most (about 100 bytes each across the fetcher and the
  // replicator): a batch that would pass it fails with Unavailable instead of being sent.
  static constexpr size_t kMaxPendingGets = size_t{1} << 20;
  // Trie queries remembered as asked, at most (then forgotten all at once).
  static constexpr size_t kMaxAskedQueries = 4096;

 private:
  struct Batch;
  struct State;
  // Listings of one metadata core that lacked blocks, one after the other, no gap longer than
  // kWalkGapMs.
  struct Walk {
    uint64_t listings = 0;     // listings in it
    uint64_t own = 0;          // blocks they lacked themselves
    uint64_t ahead = 0;        // other missing blocks they took along
    uint64_t takes = 0;        // batches that took some along
    uint64_t last_ms = 0;      // loop time when its last batch started or ended
  };

  // Adds to `blocks` the missing blocks of metadata core `core` that a walk's listing takes
  // along; returns how many.
  uint64_t take_ahead(core::Core& core, Walk& walk, std::set<uint64_t>& blocks) const;
  // Adds to a big listing's `blocks` the missing ones between `first` and `last`, the first and
  // last it lacked itself when they lie close enough together (fetcher.cpp, the span rule).
  void take_span(const core::Core& core, uint64_t first, uint64_t last, std::set<uint64_t>& blocks) const;

  void arrived(uint64_t batch_id, const Status& got);
  // The batch's gets leave the replicator.
  void cancel_gets(Batch& batch);
  void expire(uint64_t batch_id);
  void finish(uint64_t batch_id, Result<uint64_t> outcome);
  void note_timed_out(const Batch& batch);
  bool recently_timed_out(const drive::MissingBlocks& missing) const;

  uv_loop_t* loop_;
  wire::Replicator& replicator_;
  uint64_t timeout_ms_;
  size_t max_pending_gets_;
  // Shared with the callbacks the replicator and timers hold, so that they can tell whether the
  // fetcher still exists.
  std::shared_ptr<State> state_;
  FetchStats stats_;
  uint64_t next_batch_id_ = 1;
  // Metadata core key -> blocks that listings in it have asked for (the bulk rule).
  std::map<crypto::PublicKey, uint64_t> listed_blocks_;
  // Metadata core key -> its walk, the last one if it has ended.
  std::map<crypto::PublicKey, Walk> walks_;
  // Asks the peers of each query's core that know the `hypertrie` extension for the blocks it
  // reads, once per query (the same key at the same head is asked once).
  void ask_peers(const std::vector<drive::MissingBlocks::TrieQuery>& queries);
  // fetch() without the queries; `counted`: in the figures (a batch somebody waits for).
  void start_batch(const drive::MissingBlocks& missing, bool resumed, Done done, bool counted);
  std::set<std::tuple<crypto::PublicKey, uint64_t, std::string, std::optional<uint64_t>>> asked_;
  // The metadata cores queries were sent about, for the blocks named in answer.
  std::map<crypto::PublicKey, std::shared_ptr<core::Core>> asked_cores_;
  // Metadata core key -> blocks peers named in answer lately (count, loop time of the last).
  std::map<crypto::PublicKey, std::pair<uint64_t, uint64_t>> named_;
  // (core key, block) -> loop time (ms) when a fetch of it timed out.
  std::map<std::pair<crypto::PublicKey, uint64_t>, uint64_t> timed_out_;
};

}  // namespace hypermount::node
