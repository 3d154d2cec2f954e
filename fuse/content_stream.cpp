#include "fuse/content_stream.hpp"

#include "core/merkle.hpp"
#include "core/storage.hpp"
#include "store/file.hpp"
#include "util/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <vector>

namespace hypermount::fuse {

namespace {
constexpr size_t kBlockSize = drive::Drive::kMaxBlockSize;
constexpr size_t kBatchBytes = kBlockSize * drive::Drive::kAppendBatchBlocks;
// Full batches waiting for the pool (or their turn to be appended) before a writer is held:
// what the stream keeps in memory, with the batch filling, is at most (1 + this) batches.
constexpr size_t kMaxWaiting = 4;
}  // namespace

struct ContentStream::State {
  struct Batch {
    Bytes bytes;
    std::vector<ByteView> blocks;  // `bytes` cut into the drive's blocks, once
    std::vector<std::optional<crypto::Hash>> hashes;  // one per block, set on the pool
    bool hashed = false;
  };
  struct Job {
    uv_work_t req{};
    std::shared_ptr<State> state;
    std::shared_ptr<Batch> batch;
    int data_fd = -1;  // the stream's (it outlives the job)
    uint64_t offset = 0;  // where the batch is to go in data_fd
  };

  uv_loop_t* loop;
  std::shared_ptr<core::Core> core;
  Hooks hooks;
  drive::FileContent appended;  // blocks == 0 until the first batch is in
  std::deque<std::shared_ptr<Batch>> waiting;  // full batches in order: on the pool or hashed
  Bytes filling;
  // Buffers of appended batches, kept for the next ones: a new 8 MiB buffer per batch cost a
  // page fault per page, and its growth by 1 MiB writes a copy per doubling.
  std::vector<Bytes> spare;
  uint64_t taken = 0;
  bool broken = false;
  bool finished = false;
  bool handed_over = false;  // the appended content belongs to someone else now
  std::deque<std::function<void()>> held;  // acks of writes held back
  std::function<void(Result<drive::FileContent>)> finishing;
  // The core's data file, for the pool to allocate each batch's space ahead of its append
  // (the loop then finds it allocated); -1 if it could not be had.
  int data_fd = -1;
  uint64_t allocated_end = 0;  // the end of the space allocated ahead

  ~State();
  void submit(Bytes bytes, const std::shared_ptr<State>& self);
  static void hash_on_pool(uv_work_t* req);
  static void hashed_on_loop(uv_work_t* req, int status);
  // Appends the hashed batches at the front, in order; releases held acks; ends a finish.
  void drain();
  Status append(const Batch& batch);
  void release_held(bool all);
  // A buffer of kBatchBytes capacity for the batch to fill.
  Bytes take_buffer();
  // Fails the finish waiting with Cancelled from a later turn of the loop: its caller is
  // inside abandon() now, in the middle of giving the stream up.
  void cancel_finish();
};

ContentStream::State::~State() {
  if (data_fd < 0) return;
  // A stream given up leaves no space taken behind it (its bytes are staged elsewhere now).
  store::free_allocated_past_end(data_fd, allocated_end);
  ::close(data_fd);
}

void ContentStream::State::cancel_finish() {
  struct Later {
    uv_work_t req{};
    std::function<void(Result<drive::FileContent>)> done;
  };
  auto later = std::make_unique<Later>();
  later->done = std::exchange(finishing, nullptr);
  later->req.data = later.get();
  auto run = [](uv_work_t* req, int) {
    std::unique_ptr<Later> owned(static_cast<Later*>(req->data));
    owned->done(Error{Errc::Cancelled, "the stream was given up"});
  };
  if (uv_queue_work(loop, &later->req, [](uv_work_t*) {}, run) == 0) later.release();
}

Bytes ContentStream::State::take_buffer() {
  if (!spare.empty()) {
    Bytes buffer = std::move(spare.back());
    spare.pop_back();
    return buffer;
  }
  Bytes buffer;
  buffer.reserve(kBatchBytes);
  return buffer;
}

void ContentStream::State::submit(Bytes bytes, const std::shared_ptr<State>& self) {
  auto batch = std::make_shared<Batch>();
  batch->bytes = std::move(bytes);
  const ByteView all(batch->bytes);
  for (size_t at = 0; at < all.size(); at += kBlockSize) {
    batch->blocks.push_back(all.subspan(at, std::min(kBlockSize, all.size() - at)));
  }
  if (data_fd < 0) {
    if (auto fd = core->data_write_fd()) data_fd = *fd;
  }
  auto job = std::make_unique<Job>();
  // The batch goes after those waiting (unless something else appends first: then the space
  // allocated is the next append's, and the stream breaks).
  job->offset = core->byte_length();
  for (const auto& before : waiting) job->offset += before->bytes.size();
  allocated_end = std::max(allocated_end, job->offset + batch->bytes.size());
  waiting.push_back(batch);
  job->state = self;
  job->batch = batch;
  job->data_fd = data_fd;
  job->req.data = job.get();
  if (uv_queue_work(loop, &job->req, hash_on_pool, hashed_on_loop) != 0) {
    batch->hashed = true;  // no pool: hashed as it is appended
    return;
  }
  job.release();  // owned by the request until hashed_on_loop
}

void ContentStream::State::hash_on_pool(uv_work_t* req) {
  const Job& job = *static_cast<Job*>(req->data);
  Batch& batch = *job.batch;
  // Taking new pages was most of the loop's share of an append (fallocate on tmpfs); a failure
  // here (a full store) is the append's to report. Blocks of zeros stay holes, as the append
  // leaves them.
  if (job.data_fd >= 0) {
    uint64_t offset = job.offset;
    for (ByteView block : batch.blocks) {
      if (!core::is_hole(block)) (void)store::allocate_ahead(job.data_fd, offset, block.size());
      offset += block.size();
    }
  }
  for (ByteView block : batch.blocks) batch.hashes.push_back(core::leaf_node(0, block).hash);
}

void ContentStream::State::hashed_on_loop(uv_work_t* req, int) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  job->batch->hashed = true;
  job->state->drain();
}

Status ContentStream::State::append(const Batch& batch) {
  if (!hooks.may_append()) return Error{Errc::Busy, "a commit is appending to the content core"};
  if (appended.blocks != 0 && core->byte_length() != appended.first_byte + appended.size) {
    return Error{Errc::Busy, "the content core grew under the stream"};
  }
  const uint64_t first_block = core->length();
  const uint64_t first_byte = core->byte_length();
  Status appended_now = core->append(batch.blocks, batch.hashes);
  if (!appended_now && appended_now.error().sys_errno() == ENOSPC && hooks.make_room()) {
    appended_now = core->append(batch.blocks, batch.hashes);
  }
  HM_TRY(appended_now);
  if (appended.blocks == 0) {
    appended.core = core;
    appended.first_block = first_block;
    appended.first_byte = first_byte;
  }
  appended.blocks += batch.blocks.size();
  appended.size += batch.bytes.size();
  return {};
}

void ContentStream::State::release_held(bool all) {
  while (!held.empty() && (all || waiting.size() <= kMaxWaiting)) {
    auto ack = std::move(held.front());
    held.pop_front();
    ack();
  }
}

void ContentStream::State::drain() {
  while (!broken && !waiting.empty() && waiting.front()->hashed) {
    if (auto done = append(*waiting.front()); !done) {
      log::debug("fuse", "a stream stops appending: {}", done.error().to_string());
      broken = true;
      break;
    }
    Bytes used = std::move(waiting.front()->bytes);
    waiting.pop_front();
    if (spare.size() < kMaxWaiting) {
      used.clear();  // keeps its capacity
      spare.push_back(std::move(used));
    }
  }
  // A broken stream is given up at the next write, which needs these acks to come at all.
  release_held(broken);
  if (!finishing) return;
  if (broken) {
    std::exchange(finishing, nullptr)(Error{Errc::Busy, "the stream could not append all it took"});
  } else if (waiting.empty()) {
    finished = true;
    std::exchange(finishing, nullptr)(appended);
  }
}

ContentStream::ContentStream(uv_loop_t* loop, std::shared_ptr<core::Core> core, Hooks hooks)
    : state_(std::make_shared<State>()) {
  state_->loop = loop;
  state_->core = std::move(core);
  state_->hooks = std::move(hooks);
}

ContentStream::~ContentStream() {
  State& s = *state_;
  s.broken = true;  // hashing in flight lands in a state nobody appends from
  s.finishing = nullptr;
  s.held.clear();  // the mount is gone, or no write is waiting (its handle keeps the file)
  if (s.handed_over || s.appended.blocks == 0) return;
  if (auto cleared = s.core->clear(s.appended.first_block, s.appended.first_block + s.appended.blocks); !cleared) {
    log::warn("fuse", "giving back the blocks of a file written and dropped: {}", cleared.error().to_string());
  }
}

uint64_t ContentStream::size() const { return state_->taken; }

bool ContentStream::healthy() const { return !state_->broken && !state_->finishing && !state_->finished; }

void ContentStream::adopted() { state_->handed_over = true; }

void ContentStream::write(ByteView bytes, std::function<void()> ack) {
  State& s = *state_;
  s.taken += bytes.size();
  while (!bytes.empty()) {
    if (s.filling.capacity() < kBatchBytes) s.filling = s.take_buffer();
    const size_t n = std::min(bytes.size(), kBatchBytes - s.filling.size());
    s.filling.insert(s.filling.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (s.filling.size() == kBatchBytes) s.submit(std::exchange(s.filling, {}), state_);
  }
  s.held.push_back(std::move(ack));
  s.release_held(s.broken);
}

void ContentStream::finish(std::function<void(Result<drive::FileContent>)> done) {
  State& s = *state_;
  if (!s.filling.empty()) s.submit(std::exchange(s.filling, {}), state_);
  s.finishing = std::move(done);
  s.drain();
}

Result<KeptPrefix> ContentStream::abandon(StagingFile& into) {
  State& s = *state_;
  s.broken = true;
  uint64_t at = s.appended.size;
  auto put = [&](const Bytes& bytes) -> Status {
    HM_TRY(into.write(at, bytes));
    at += bytes.size();
    return {};
  };
  auto move_all = [&]() -> Status {
    at = s.appended.size;
    HM_TRY(into.resize(s.taken));
    for (const auto& batch : s.waiting) HM_TRY(put(batch->bytes));
    return put(s.filling);
  };
  Status moved = move_all();
  if (!moved && moved.error().sys_errno() == ENOSPC && s.hooks.make_room()) moved = move_all();
  s.release_held(true);
  if (s.finishing) s.cancel_finish();
  // Failed (a full store): the bytes stay here for the next try, as a page cache keeps them.
  HM_TRY(moved);
  s.waiting.clear();
  s.filling.clear();
  if (s.appended.blocks == 0) return KeptPrefix{};
  s.handed_over = true;
  return s.hooks.keep(s.appended);
}

}  // namespace hypermount::fuse
