#include "node/fetcher.hpp"

#include "node/trie_extension.hpp"

#include "util/log.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

namespace hypermount::node {

namespace {

// A trie walk that lacks this many metadata blocks at once is reading a large part of the
// drive's metadata (a big folder, a recursive listing): the batch then takes every block of the
// metadata core that is not local, when that is at most kBulkFactor times as many (man page,
// "Fetching"). The metadata core is small next to the content; later rounds need nothing.
// Listings count together under the same rule: once the listings of a core have asked for as
// many as an eighth of what it still lacks, the rest comes in bulk. A listing waits for its
// whole batch, so a single folder never takes more than 8 times its own blocks with it.
constexpr size_t kBulkMetadataBlocks = 256;
constexpr uint64_t kBulkFactor = 8;
// A walk (find, du, ls -R: listings back to back, Fetcher::kWalkGapMs) lacks a few dozen blocks
// per folder. From its kWalkAheadFrom-th listing on, each of its batches also takes other
// missing blocks of the core: kWalkAheadFirst, four times as many for each batch after (a
// listing's later rounds too: each is a round trip), never more in all than kWalkAheadFactor
// times what its listings lacked themselves (a walk through a corner of a huge drive stays near
// its own size). They count as listed, so the rule above soon takes the rest: find over 100,000
// entries takes about 12 batches, where counting only the listings' own blocks took some 900,
// and one round trip each.
constexpr uint64_t kWalkAheadFrom = 2;
constexpr uint64_t kWalkAheadFirst = 1024;
constexpr uint64_t kWalkAheadFactor = 128;
// A listing batch that lacks kBulkMetadataBlocks or more (a big folder, a few trie levels down)
// without the bulk rule applying also takes every missing block between the first and the last
// it lacks, when that stretch is less than kBulkFactor times as many blocks: a folder's entries
// are mostly written together, so the rounds of its deeper trie levels come in this one (what a
// walk takes along does not count in the stretch).
// A metadata core this short (a drive of up to about a thousand entries, some 150 KB) is taken
// whole by the first batch of a listing that lacks any of it: a walk down to a folder and
// through it would cost one round trip per trie level for what one round brings. A lookup of
// one path stays sparse.
constexpr uint64_t kSmallMetadataBlocks = 1024;

}  // namespace

struct Fetcher::Batch {
  // The blocks of one core it asked for, in one replicator group.
  struct Group {
    std::shared_ptr<core::Core> core;
    uint64_t get_id = 0;
    std::vector<uint64_t> blocks;
  };
  Done done;
  std::vector<Group> groups;
  uint64_t waiting = 0;  // blocks of its groups not here yet
  uint64_t arrived = 0;
  uint64_t number = 0;      // its place among the batches that asked the network (the debug log)
  uint64_t started_ns = 0;  // when it was sent (uv_hrtime: the loop's time is that of its turn's start)
  std::vector<crypto::PublicKey> walks;  // metadata cores whose walk this listing batch is in
  std::optional<Error> failure;  // set when the batch could not be sent; reported by the timer
  uv_timer_t* timer = nullptr;  // freed in its close callback
};

struct Fetcher::State {
  Fetcher* owner = nullptr;
  std::map<uint64_t, std::unique_ptr<Batch>> batches;
};

namespace {

struct TimerBox {
  uv_timer_t timer;  // first: the handle pointer is the box pointer
  std::weak_ptr<void> state;
  uint64_t batch_id = 0;
};

void close_timer(uv_timer_t* timer) {
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete reinterpret_cast<TimerBox*>(h); });
}

}  // namespace

Fetcher::Fetcher(uv_loop_t* loop, wire::Replicator& replicator, uint64_t timeout_ms, size_t max_pending_gets)
    : loop_(loop),
      replicator_(replicator),
      timeout_ms_(timeout_ms),
      max_pending_gets_(max_pending_gets),
      state_(std::make_shared<State>()) {
  state_->owner = this;
}

Fetcher::~Fetcher() {
  for (auto& [id, batch] : state_->batches) {
    cancel_gets(*batch);
    close_timer(batch->timer);
  }
  state_->batches.clear();
}

size_t Fetcher::pending_batches() const { return state_->batches.size(); }

size_t Fetcher::pending_gets() const {
  size_t gets = 0;
  for (const auto& [id, batch] : state_->batches) gets += batch->waiting;
  return gets;
}

void Fetcher::cancel_gets(Batch& batch) {
  for (const Batch::Group& group : batch.groups) replicator_.cancel_get(group.get_id);
  batch.groups.clear();
  batch.waiting = 0;
}

uint64_t Fetcher::take_ahead(core::Core& core, Walk& walk, std::set<uint64_t>& blocks) const {
  if (walk.listings < kWalkAheadFrom || blocks.empty()) return 0;
  const uint64_t step = kWalkAheadFirst << std::min<uint64_t>(2 * walk.takes, 40);
  const uint64_t room = kWalkAheadFactor * walk.own > walk.ahead ? kWalkAheadFactor * walk.own - walk.ahead : 0;
  const uint64_t want = std::min(step, room);
  // The blocks written after the first one the listing lacks (a folder's entries are often
  // written together), then from the start of the core.
  const uint64_t length = core.length();
  const uint64_t from = *blocks.begin();
  uint64_t taken = 0;
  for (uint64_t i = 0; i < length && taken < want; ++i) {
    const uint64_t block = (from + i) % length;
    if (!core.has(block) && blocks.insert(block).second) ++taken;
  }
  walk.ahead += taken;
  if (taken > 0) ++walk.takes;
  return taken;
}

void Fetcher::take_span(const core::Core& core, uint64_t first, uint64_t last, std::set<uint64_t>& blocks) const {
  const size_t before = blocks.size();
  for (uint64_t block = first + 1; block < last; ++block) {
    if (!core.has(block)) blocks.insert(block);
  }
  log::debug("node", "span: {} more taken in blocks {}-{}", blocks.size() - before, first, last);
}

void Fetcher::ask_peers(const std::vector<drive::MissingBlocks::TrieQuery>& queries) {
  const uint64_t now = uv_now(loop_);
  for (const auto& query : queries) {
    // In a walk (find, du) the lookups between listings come with what the walk takes along;
    // the blocks named in answer would only take the place of those (more rounds, not fewer).
    if (auto walk = walks_.find(query.core->key());
        walk != walks_.end() && walk->second.listings > 0 && now - walk->second.last_ms <= kWalkGapMs) {
      continue;
    }
    if (asked_.size() >= kMaxAskedQueries) asked_.clear();
    if (!asked_.emplace(query.core->key(), query.head, query.key, query.iterator_flags).second) continue;
    asked_cores_[query.core->key()] = query.core;
    if (replicator_.broadcast_extension(*query.core, std::string(kTrieExtension), trie_query_message(query)) > 0) {
      ++stats_.queries;
    }
  }
}

void Fetcher::cached(const crypto::PublicKey& core_key, const std::vector<uint64_t>& blocks) {
  auto it = asked_cores_.find(core_key);
  if (it == asked_cores_.end()) return;
  drive::MissingBlocks named;
  for (uint64_t block : blocks) {
    if (block < it->second->length() && !it->second->has(block)) named.add(it->second, block, /*metadata=*/true);
  }
  if (named.empty()) return;
  // What listings would have lacked themselves had the answer not come first (the walk rules).
  auto& [count, when] = named_[core_key];
  const uint64_t now = uv_now(loop_);
  if (now - when > kWalkGapMs) count = 0;
  count += named.cores.front().blocks.size();
  when = now;
  ++stats_.cached;
  start_batch(named, /*resumed=*/false, [](Result<uint64_t>) {}, /*counted=*/false);  // nobody waits
}

void Fetcher::fetch(const drive::MissingBlocks& missing, bool resumed, Done done) {
  // A listing has the rules below, which bound its rounds by the trie's depth and take what a
  // walk will read in bulk; a lookup walks one trie level per round without the peers' answer.
  if (!missing.listing) ask_peers(missing.queries);
  start_batch(missing, resumed, std::move(done), /*counted=*/true);
}

void Fetcher::start_batch(const drive::MissingBlocks& missing, bool resumed, Done done, bool counted) {
  const uint64_t batch_id = next_batch_id_++;
  auto owned = std::make_unique<Batch>();
  Batch& batch = *owned;
  batch.done = std::move(done);
  auto* box = new TimerBox;
  uv_timer_init(loop_, &box->timer);
  box->state = state_;
  box->batch_id = batch_id;
  batch.timer = &box->timer;
  state_->batches.emplace(batch_id, std::move(owned));

  std::optional<Error> failure;
  if (recently_timed_out(missing)) {
    failure = Error{Errc::Timeout, "no peer delivered the block in time (a moment ago)"};
  }
  std::weak_ptr<State> weak = state_;
  auto request = [&](const std::shared_ptr<core::Core>& core, std::vector<uint64_t> blocks) {
    auto group = replicator_.get_group(*core, blocks, [weak, batch_id](uint64_t, const Status& got) {
      if (auto state = weak.lock()) state->owner->arrived(batch_id, got);
    });
    if (!group) {
      failure = group.error();
      return;
    }
    batch.waiting += group->waiting;
    batch.groups.push_back(Batch::Group{core, group->id, std::move(blocks)});
  };
  for (const auto& wanted : missing.cores) {
    if (failure) break;
    // Cores of mounted drives (and hypercore mounts) join the replication when first needed;
    // metadata cores follow their writer's head, as the drive's own does.
    auto added = replicator_.add_core(*wanted.core, {.upload = true, .live = true, .follow_head = wanted.metadata});
    if (!added && added.error().code() != Errc::Exists) {
      failure = added.error();
      break;
    }
    core::Core& core = *wanted.core;
    std::set<uint64_t> blocks;
    for (uint64_t block : wanted.blocks) {
      if (!core.has(block)) blocks.insert(block);
    }
    // The stretch between the first and last block the listing lacks itself (the span rule).
    std::optional<std::pair<uint64_t, uint64_t>> span;
    if (wanted.metadata && missing.listing && blocks.size() >= kBulkMetadataBlocks &&
        *blocks.rbegin() - *blocks.begin() < kBulkFactor * blocks.size()) {
      span = std::make_pair(*blocks.begin(), *blocks.rbegin());
    }
    // Blocks the listings of this core have asked for, this batch's included.
    uint64_t listed = 0;
    if (wanted.metadata && missing.listing && !blocks.empty()) {
      Walk& walk = walks_[core.key()];
      const uint64_t now = uv_now(loop_);
      if (walk.listings > 0 && now - walk.last_ms > kWalkGapMs) walk = Walk{};
      if (walk.listings == 0) {  // a walk starts: blocks peers named just before count as its own
        auto named = named_.find(core.key());
        if (named != named_.end() && now - named->second.second <= kWalkGapMs) walk.own += named->second.first;
      }
      if (!resumed || walk.listings == 0) ++walk.listings;
      walk.last_ms = now;
      walk.own += blocks.size();
      if (uint64_t ahead = take_ahead(core, walk, blocks)) {
        log::debug("node", "walk: listing {} takes {} more metadata blocks", walk.listings, ahead);
      }
      batch.walks.push_back(core.key());
      listed = listed_blocks_[core.key()] += blocks.size();
    }
    // What the bulk rule weighs: this batch, or the listings of this core together.
    const uint64_t reach = std::max<uint64_t>(blocks.size(), listed);
    // (Counting the absent blocks reads the whole bitfield: only where a rule can apply.)
    auto absent_at_most = [&](uint64_t n) { return core.length() - core.blocks_present() <= n; };
    std::vector<uint64_t> asked;
    if (wanted.metadata && !blocks.empty() &&
        ((missing.listing && core.length() <= kSmallMetadataBlocks) ||
         (reach >= kBulkMetadataBlocks && absent_at_most(kBulkFactor * reach)))) {
      for (uint64_t block = 0; block < core.length(); ++block) {
        if (!core.has(block)) asked.push_back(block);
      }
      // and those it lacked past the local length (the first block of a core not seen yet)
      asked.insert(asked.end(), blocks.lower_bound(core.length()), blocks.end());
      log::debug("node", "bulk: all {} missing metadata blocks of {}", asked.size(), to_hex(core.discovery_key()).substr(0, 8));
    } else {
      if (span) take_span(core, span->first, span->second, blocks);
      asked.assign(blocks.begin(), blocks.end());
    }
    if (pending_gets() + asked.size() > max_pending_gets_) {
      failure = Error::unavailable("{} blocks wanted at once: more than {} may wait", pending_gets() + asked.size(),
                                   max_pending_gets_);
      break;
    }
    if (!asked.empty()) request(wanted.core, std::move(asked));
  }
  if (batch.waiting > 0 && counted) {
    ++stats_.batches;
    stats_.blocks += batch.waiting;
    batch.number = stats_.batches;
    log::debug("node", "fetch batch {}: {} blocks", stats_.batches, batch.waiting);
  } else if (batch.waiting > 0) {
    log::debug("node", "fetch of {} blocks peers named", batch.waiting);
  }
  if (batch.waiting > 0) batch.started_ns = uv_hrtime();
  if (failure) {
    cancel_gets(batch);
    batch.failure = std::move(failure);
  }
  // With nothing to wait for, the timer fires at once and finishes the batch. Otherwise it
  // repeats, so that each arrival can restart it (uv_timer_again restarts only a repeating timer).
  const uint64_t wait_ms = batch.waiting == 0 ? 0 : timeout_ms_;
  uv_timer_start(batch.timer, [](uv_timer_t* t) {
    auto* b = reinterpret_cast<TimerBox*>(t);
    if (auto state = std::static_pointer_cast<State>(b->state.lock())) state->owner->expire(b->batch_id);
  }, wait_ms, wait_ms);
}

void Fetcher::arrived(uint64_t batch_id, const Status& got) {
  auto it = state_->batches.find(batch_id);
  if (it == state_->batches.end()) return;  // the batch ended (timed out, failed, cancelled)
  Batch& batch = *it->second;
  if (!got) {
    finish(batch_id, got.error());
    return;
  }
  ++batch.arrived;
  if (--batch.waiting == 0) {
    finish(batch_id, batch.arrived);
    return;
  }
  // Progress: the deadline counts from the newest arrival.
  uv_timer_again(batch.timer);
}

void Fetcher::expire(uint64_t batch_id) {
  auto it = state_->batches.find(batch_id);
  if (it == state_->batches.end()) return;
  Batch& batch = *it->second;
  if (batch.failure) {
    finish(batch_id, *batch.failure);
    return;
  }
  if (batch.waiting == 0) {
    finish(batch_id, batch.arrived);
    return;
  }
  ++stats_.timeouts;
  note_timed_out(batch);
  log::debug("node", "fetch: {} blocks did not arrive within {} ms", batch.waiting, timeout_ms_);
  finish(batch_id, Error{Errc::Timeout, "no peer delivered the block in time"});
}

void Fetcher::finish(uint64_t batch_id, Result<uint64_t> outcome) {
  auto it = state_->batches.find(batch_id);
  if (it == state_->batches.end()) return;
  std::unique_ptr<Batch> batch = std::move(it->second);
  state_->batches.erase(it);
  if (batch->number > 0) {
    log::debug("node", "fetch batch {}: {} blocks arrived in {} ms", batch->number, batch->arrived,
               (uv_hrtime() - batch->started_ns) / 1000000);
  }
  for (const auto& key : batch->walks) walks_[key].last_ms = uv_now(loop_);
  // Whatever is still wanted leaves the replicator's tables now.
  cancel_gets(*batch);
  close_timer(batch->timer);
  batch->done(std::move(outcome));
}

void Fetcher::note_timed_out(const Batch& batch) {
  const uint64_t now = uv_now(loop_);
  if (timed_out_.size() + batch.waiting > kMaxRememberedFailures) timed_out_.clear();
  for (const Batch::Group& group : batch.groups) {
    for (uint64_t block : group.blocks) {
      if (timed_out_.size() >= kMaxRememberedFailures) return;
      if (!group.core->has(block)) timed_out_[{group.core->key(), block}] = now;
    }
  }
}

bool Fetcher::recently_timed_out(const drive::MissingBlocks& missing) const {
  const uint64_t now = uv_now(loop_);
  bool any = false;
  for (const auto& wanted : missing.cores) {
    for (uint64_t block : wanted.blocks) {
      if (wanted.core->has(block)) continue;
      auto it = timed_out_.find({wanted.core->key(), block});
      if (it == timed_out_.end() || now - it->second > kRecentFailureMs) return false;
      any = true;
    }
  }
  return any;
}

}  // namespace hypermount::node
