// The duplex byte stream a replication Connection runs over: a libuv stream (TCP, pipe, standard
// input/output) or a uTP connection. Loop thread only.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"

#include <functional>
#include <string>

namespace hypermount::wire {

// What a stream tells its user, from loop callbacks only; none runs after close().
struct ByteStreamEvents {
  std::function<void(ByteView bytes)> data;   // received bytes, valid during the call
  std::function<void(size_t bytes)> written;  // bytes of earlier writes that were handed on
  std::function<void(Error reason)> failed;   // the remote ended the stream, or it broke
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Starts reading.
  virtual Status start(ByteStreamEvents events) = 0;
  // Queues bytes; `written` reports them once handed on. The stream does not bound its queue:
  // its user does, pausing until `written` brings it down. An error means the stream broke.
  virtual Status write(Bytes bytes) = 0;
  // Ends the sending side after the queued bytes (the remote reads end of stream); reading goes
  // on. Writes after it are dropped.
  virtual Status end() = 0;
  // Stops reading and writing now and lets the stream go; no event runs after it. Idempotent.
  virtual void close() = 0;
  // "tcp", "pipe" or "utp".
  virtual std::string transport() const = 0;
  // The remote's HOST:PORT, or "stream" for a stream without one.
  virtual std::string remote() const = 0;
};

}  // namespace hypermount::wire
