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
  // Drive::kAppendBatchBlocks, each hashed, and its space in the data file allocated, on the
  // pool of `loop`, which must outlive the work in flight).
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

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the hashing in flight
};

}  // namespace hypermount::fuse
