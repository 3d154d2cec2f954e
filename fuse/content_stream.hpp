// A new file's bytes appended to the drive's content core as they are written in order, so that
// each byte is written once (no staging file to copy from at commit). Loop thread.
#pragma once

#include "drive/drive.hpp"
#include "fuse/fs_backend.hpp"
#include "fuse/staging_file.hpp"

#include <uv.h>

#include <functional>
#include <memory>

namespace hypermount::fuse {

class ContentStream {
 public:
  // The stream's state, shared with its work on the pool (it may outlive the stream object).
  struct State;
  // What the stream asks of the drive it writes to.
  struct Hooks {
    // Whether nothing else is appending to the core now.
    std::function<bool()> may_append;
    // Gives back the space of removed and replaced files (the store is full); true if any.
    std::function<bool()> make_room;
    // Makes a kept prefix of content the stream appended and then gave up: what the file reads
    // there until its next commit writes it again (the blocks are garbage after that).
    std::function<KeptPrefix(const drive::FileContent& appended)> keep;
  };

  // Appends to `core` (the 10.21 line's cut: blocks of Drive::kMaxBlockSize, batches of
  // Drive::kAppendBatchBlocks, each hashed on the pool of `loop`, which must outlive the work in
  // flight). While may_append holds, the pool also writes each batch where its append will put
  // it, past the core's end: anything else that appends to the core must give_up_tail first.
  ContentStream(uv_loop_t* loop, std::shared_ptr<core::Core> core, Hooks hooks);
  // Blocks appended and never handed over (the file went without a commit) are cleared.
  ~ContentStream();
  ContentStream(const ContentStream&) = delete;
  ContentStream& operator=(const ContentStream&) = delete;

  // The bytes taken so far: the file's size.
  uint64_t size() const;
  // False once a batch could not be appended (something else appended to the core, the store
  // is full, ...) or the stream is finishing: it must be given up (abandon) before a write.
  bool healthy() const;
  // Takes `bytes`, written at size(). `ack` runs (on the loop) once they may be acknowledged:
  // at once, unless batches are waiting for the pool (a writer faster than hashing is held).
  void write(ByteView bytes, std::function<void()> ack);
  // Appends everything taken (the last batch possibly short), then `done` with the content: the
  // stream takes nothing more, and the caller either makes it a file's (adopted) or abandons
  // it. An error (the stream broke; Cancelled when abandoned meanwhile) leaves it to abandon().
  void finish(std::function<void(Result<drive::FileContent>)> done);
  // The finished content is a file's now: it is not cleared with the stream.
  void adopted();
  // Ends the stream: the bytes taken but not appended go into `into` at their offsets (resized
  // to size()), and the content appended becomes the returned kept prefix (empty if none).
  // Held acks run; a finish waiting fails with Cancelled. A full store is given room once.
  Result<KeptPrefix> abandon(StagingFile& into);

  // What an appender to the same core holds of the stream (weakly: gone once the stream and
  // its pool work are).
  std::weak_ptr<State> state() const { return state_; }
  // Before something else appends to the stream's core: the stream stops appending (it is
  // given up at its next write, or its finish fails) and what it wrote past the core's end is
  // cut off. True if that is done now (or the stream is gone); else `then` runs on the loop
  // once the stream's writes in flight are through and it is done.
  static bool give_up_tail(const std::weak_ptr<State>& stream, std::function<void()> then);

 private:
  std::shared_ptr<State> state_;
};

}  // namespace hypermount::fuse
