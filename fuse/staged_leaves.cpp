#include "fuse/staged_leaves.hpp"

#include "core/merkle.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <thread>
#include <vector>

namespace hypermount::fuse {

namespace {
// Blocks hashed at once: one per core (the pool has 4 threads by default).
size_t max_in_flight() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4); }
}  // namespace

struct StagedLeaves::State {
  struct Block {
    uint32_t generation = 0;  // bumped whenever the block's bytes (or length) change
    bool hashed = false;
    bool pending = false;  // queued or on the pool for this generation
    uint64_t length = 0;   // of the bytes hashed (or being hashed)
    crypto::Hash hash{};
  };
  struct Queued {
    uint64_t index;
    uint32_t generation;
  };
  // One block on the pool; reads only its own fields and the file there.
  struct Job {
    uv_work_t req{};
    std::shared_ptr<State> state;
    int fd = -1;
    uint64_t index = 0;
    uint32_t generation = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
    bool ok = false;
    crypto::Hash hash{};
  };

  State(uv_loop_t* l, int f, uint64_t size) : loop(l), fd(f), block_size(size) {}
  ~State() { ::close(fd); }

  Block& block(uint64_t index) { return blocks[index]; }
  void invalidate(uint64_t index) {
    auto it = blocks.find(index);
    if (it == blocks.end()) return;
    ++it->second.generation;
    it->second.hashed = it->second.pending = false;
  }
  void enqueue(uint64_t index, uint64_t length) {
    Block& b = block(index);
    b.pending = true;
    b.length = length;
    queue.push_back({index, b.generation});
  }
  bool idle() const { return in_flight == 0 && queue.empty(); }
  void pump(const std::shared_ptr<State>& self);
  static void hash_on_pool(uv_work_t* req);
  static void hashed_on_loop(uv_work_t* req, int status);

  uv_loop_t* loop;
  int fd;
  uint64_t block_size;
  std::map<uint64_t, Block> blocks;  // by index: a file with a large hole keeps few
  std::deque<Queued> queue;
  size_t in_flight = 0;
  uint64_t filled = 0;     // bytes [0, filled) were written: the prefix a sequential writer fills
  uint64_t next_auto = 0;  // the blocks below it went to the pool as that prefix covered them
  std::vector<std::function<void()>> waiting;  // hash_all callers
  bool closed = false;                         // the owner is gone
};

void StagedLeaves::State::pump(const std::shared_ptr<State>& self) {
  while (in_flight < max_in_flight() && !queue.empty()) {
    Queued next = queue.front();
    queue.pop_front();
    auto it = blocks.find(next.index);
    if (it == blocks.end() || it->second.generation != next.generation) continue;
    auto job = std::make_unique<Job>();
    job->state = self;
    job->fd = fd;
    job->index = next.index;
    job->generation = next.generation;
    job->offset = next.index * block_size;
    job->length = it->second.length;
    job->req.data = job.get();
    if (uv_queue_work(loop, &job->req, hash_on_pool, hashed_on_loop) != 0) {
      it->second.pending = false;  // left to the commit
      continue;
    }
    job.release();  // owned by the request until hashed_on_loop
    ++in_flight;
  }
}

void StagedLeaves::State::hash_on_pool(uv_work_t* req) {
  Job& job = *static_cast<Job*>(req->data);
  std::unique_ptr<uint8_t[]> bytes(new uint8_t[job.length]);
  uint64_t done = 0;
  while (done < job.length) {
    ssize_t n = ::pread(job.fd, bytes.get() + done, job.length - done, static_cast<off_t>(job.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // cut meanwhile: its generation has moved on
    done += static_cast<uint64_t>(n);
  }
  job.hash = core::leaf_node(0, ByteView(bytes.get(), job.length)).hash;
  job.ok = true;
}

void StagedLeaves::State::hashed_on_loop(uv_work_t* req, int) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  std::shared_ptr<State> self = std::move(job->state);
  --self->in_flight;
  if (self->closed) return;
  if (auto it = self->blocks.find(job->index); it != self->blocks.end()) {
    Block& b = it->second;
    if (b.generation == job->generation) {  // the bytes hashed are the bytes there now
      b.pending = false;
      b.hashed = job->ok;
      b.hash = job->hash;
    }
  }
  self->pump(self);
  if (self->idle()) {
    auto waiting = std::move(self->waiting);
    self->waiting.clear();
    for (auto& done : waiting) done();
  }
}

Result<std::unique_ptr<StagedLeaves>> StagedLeaves::create(uv_loop_t* loop, int fd, uint64_t block_size) {
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return Error::io(errno, "duplicating a staging file's descriptor");
  return std::unique_ptr<StagedLeaves>(new StagedLeaves(std::make_shared<State>(loop, own, block_size)));
}

StagedLeaves::~StagedLeaves() {
  state_->closed = true;
  state_->queue.clear();
  state_->waiting.clear();
}

void StagedLeaves::written(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  State& s = *state_;
  const uint64_t end = offset + length;
  for (uint64_t b = offset / s.block_size; b <= (end - 1) / s.block_size; ++b) s.invalidate(b);
  if (offset <= s.filled) s.filled = std::max(s.filled, end);
  const uint64_t whole = s.filled / s.block_size;
  for (; s.next_auto < whole; ++s.next_auto) s.enqueue(s.next_auto, s.block_size);
  s.pump(state_);
}

void StagedLeaves::resized(uint64_t old_size, uint64_t size) {
  State& s = *state_;
  for (auto it = s.blocks.lower_bound(std::min(old_size, size) / s.block_size); it != s.blocks.end(); ++it) {
    s.invalidate(it->first);
  }
  s.filled = std::min(s.filled, size);
  s.next_auto = std::min(s.next_auto, s.filled / s.block_size);
}

std::optional<crypto::Hash> StagedLeaves::leaf_hash(uint64_t offset, uint64_t length) const {
  const State& s = *state_;
  auto it = s.blocks.find(offset / s.block_size);
  if (offset % s.block_size != 0 || it == s.blocks.end()) return std::nullopt;
  const State::Block& b = it->second;
  if (!b.hashed || b.length != length) return std::nullopt;
  return b.hash;
}

bool StagedLeaves::hash_all(uint64_t size, std::function<void()> done) {
  State& s = *state_;
  for (uint64_t b = 0; b * s.block_size < size; ++b) {
    // A block all in a hole is left to the commit, where zero blocks share one hash.
    const off_t data = ::lseek(s.fd, static_cast<off_t>(b * s.block_size), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= size) break;
    b = std::max(b, static_cast<uint64_t>(data) / s.block_size);
    const uint64_t length = std::min(s.block_size, size - b * s.block_size);
    State::Block& block = s.block(b);
    if ((block.hashed || block.pending) && block.length == length) continue;
    s.invalidate(b);
    s.enqueue(b, length);
  }
  s.pump(state_);
  if (s.idle()) return true;
  s.waiting.push_back(std::move(done));
  return false;
}

}  // namespace hypermount::fuse
