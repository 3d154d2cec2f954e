#include "fuse/content_stream.hpp"

#include "core/merkle.hpp"
#include "core/storage.hpp"
#include "util/log.hpp"

#include <unistd.h>

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
    uint64_t offset = 0;  // where its append will put it in the data file (if written ahead)
    bool written = false;  // its bytes are there (set on the pool)
    bool hashed = false;
  };
  struct Job {
    uv_work_t req{};
    std::shared_ptr<State> state;
    std::shared_ptr<Batch> batch;
    int data_fd = -1;  // the stream's (it outlives the job), or -1: hashing only
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
  // The core's data file, for the pool to write each batch ahead of its append (the loop then
  // writes its tree and signature only); -1 if it could not be had.
  int data_fd = -1;
  size_t writing = 0;  // batches the pool is writing
  std::function<void()> after_writes;  // a give_up_tail waiting for `writing` to reach zero

  ~State();
  // Cuts what the pool wrote past the core's end (once the stream appends no more).
  void cut_tail();
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
  cut_tail();  // a stream given up leaves no bytes past the core's end (staged elsewhere now)
  if (data_fd >= 0) ::close(data_fd);
}

void ContentStream::State::cut_tail() {
  if (data_fd < 0) return;  // nothing was written ahead
  if (auto cut = core->cut_past_end(); !cut) log::warn("fuse", "{}", cut.error().to_string());
}

bool ContentStream::give_up_tail(const std::weak_ptr<State>& stream, std::function<void()> then) {
  auto s = stream.lock();
  if (!s) return true;
  s->broken = true;
  if (s->writing == 0) {
    s->cut_tail();
    return true;
  }
  s->after_writes = std::move(then);
  return false;
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
  auto job = std::make_unique<Job>();
  job->state = self;
  job->batch = batch;
  // While nothing else may append, the pool writes the batch where its append will put it,
  // after the core's end and the batches waiting: writing was most of the loop's share of an
  // append. Anything else appending gives that up first (give_up_tail).
  if (!broken && hooks.may_append()) {
    if (data_fd < 0) {
      if (auto fd = core->data_write_fd()) data_fd = *fd;
    }
    job->data_fd = data_fd;
    batch->offset = core->byte_length();
    for (const auto& before : waiting) batch->offset += before->bytes.size();
  }
  waiting.push_back(batch);
  job->req.data = job.get();
  if (uv_queue_work(loop, &job->req, hash_on_pool, hashed_on_loop) != 0) {
    batch->hashed = true;  // no pool: hashed and written as it is appended
    return;
  }
  if (job->data_fd >= 0) ++writing;
  job.release();  // owned by the request until hashed_on_loop
}

void ContentStream::State::hash_on_pool(uv_work_t* req) {
  const Job& job = *static_cast<Job*>(req->data);
  Batch& batch = *job.batch;
  // Blocks of zeros stay holes, as an append leaves them. A failed write (a full store) leaves
  // the batch to be written by its append, which reports the failure.
  if (job.data_fd >= 0) batch.written = core::write_blocks_at(job.data_fd, batch.offset, batch.blocks) == 0;
  for (ByteView block : batch.blocks) batch.hashes.push_back(core::leaf_node(0, block).hash);
}

void ContentStream::State::hashed_on_loop(uv_work_t* req, int) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  job->batch->hashed = true;
  State& s = *job->state;
  s.drain();
  if (job->data_fd >= 0 && --s.writing == 0 && s.after_writes) {
    s.cut_tail();
    std::exchange(s.after_writes, nullptr)();
  }
}

Status ContentStream::State::append(const Batch& batch) {
  if (!hooks.may_append()) return Error{Errc::Busy, "a commit is appending to the content core"};
  if (appended.blocks != 0 && core->byte_length() != appended.first_byte + appended.size) {
    return Error{Errc::Busy, "the content core grew under the stream"};
  }
  const uint64_t first_block = core->length();
  const uint64_t first_byte = core->byte_length();
  // Bytes written ahead elsewhere (something appended first) are written again here.
  const auto bytes = batch.written && batch.offset == first_byte ? core::Core::AppendBytes::Written
                                                                 : core::Core::AppendBytes::Write;
  Status appended_now = core->append(batch.blocks, batch.hashes, bytes);
  if (!appended_now && appended_now.error().sys_errno() == ENOSPC && hooks.make_room()) {
    appended_now = core->append(batch.blocks, batch.hashes, bytes);
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
