// Runs a wire::Session over a libuv stream (TCP or pipe) or a pair of one-way streams (standard
// input/output): reads, bounded write queue, keep-alive and idle timeout (wire.md §7.7), plus
// TCP listen/dial helpers. Loop thread only.
#pragma once

#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/byte_stream.hpp"
#include "wire/session.hpp"

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hypermount::wire {

namespace detail {
struct StreamBox;
struct TimerBox;
}  // namespace detail

// Owns one libuv stream handle (uv_tcp_t or uv_pipe_t). Destroying it closes the handle; the
// handle's memory is freed in the close callback, so it may be destroyed from any callback.
class StreamHandle {
 public:
  StreamHandle() = default;
  ~StreamHandle();
  StreamHandle(StreamHandle&& other) noexcept : box_(other.box_) { other.box_ = nullptr; }
  StreamHandle& operator=(StreamHandle&& other) noexcept;
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;

  // A new, unconnected TCP handle on `loop`.
  static Result<StreamHandle> tcp(uv_loop_t* loop);
  // Wraps an open file descriptor (a pipe, socket or tty such as stdin/stdout) as a uv_pipe_t.
  static Result<StreamHandle> pipe_from_fd(uv_loop_t* loop, int fd);

  bool valid() const { return box_ != nullptr; }
  uv_stream_t* stream() const;
  // Closes the handle now (idempotent).
  void reset();

 private:
  friend class Connection;
  friend class TcpListener;
  explicit StreamHandle(detail::StreamBox* box) : box_(box) {}
  detail::StreamBox* box_ = nullptr;
};

// The two halves of a connection over standard input and output.
struct StdioStreams {
  StreamHandle input;   // read side (a duplicate of fd 0)
  StreamHandle output;  // write side (a duplicate of fd 1)
};

// Takes over standard input and output for the wire: both must be pipes, FIFOs or sockets
// (Error::invalid for a regular file or a terminal). The streams work on duplicates of fd 0 and
// fd 1, and fd 1 is then pointed at standard error, so closing `output` is an end of stream the
// peer sees and stray prints cannot corrupt the wire. Process-wide; call at most once.
Result<StdioStreams> take_stdio(uv_loop_t* loop);

// Parses "HOST:PORT" (IPv4 dotted quad or "localhost").
Result<sockaddr_in> parse_host_port(std::string_view text);

// Listens on an IPv4 address; every accepted connection is handed to `on_connection`.
class TcpListener {
 public:
  using OnConnection = std::function<void(StreamHandle stream)>;
  // Binds and listens; port 0 picks a free port (see port()).
  static Result<std::unique_ptr<TcpListener>> listen(uv_loop_t* loop, const sockaddr_in& address,
                                                     OnConnection on_connection);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  uint16_t port() const { return port_; }

 private:
  TcpListener() = default;
  static void on_accept(uv_stream_t* server, int status);
  StreamHandle handle_;
  OnConnection on_connection_;
  uint16_t port_ = 0;
};

// Connects to an IPv4 address. The callback runs exactly once on the loop thread with the
// connected stream or Error::io; never before dial_tcp returned. Returns an error (and never
// calls back) if the connect cannot be started, else a function that gives the connect up (the
// callback then gets Error::io "operation canceled"; nothing once it has run).
Result<std::function<void()>> dial_tcp(uv_loop_t* loop, const sockaddr_in& address,
                std::function<void(Result<StreamHandle>)> callback);

// A connected duplex libuv stream as a ByteStream.
std::unique_ptr<ByteStream> byte_stream(StreamHandle stream);

struct ConnectionOptions {
  SessionOptions session;
  // Bound of the write queue: flush() reports "queue full" above it (the bytes are still sent)
  // and on_drained runs once the queue is back under half of it.
  size_t max_queued_bytes = 8u << 20;
  uint64_t keep_alive_ms = 10000;  // wire.md §7.7: send 00 after 10 s of silence
  // wire.md §7.7: drop after 20 s without receiving. Only complete units count (a handshake
  // message, a frame, a keep-alive), so a peer that trickles a frame a byte at a time is dropped
  // too; the reference restarts its timer on any bytes. An honest peer's largest frame (8 MiB)
  // must then arrive within the timeout.
  uint64_t idle_timeout_ms = 20000;
};

class Connection;

// What a Connection tells its owner. Each call runs on the loop thread from a libuv callback;
// the owner must not destroy the Connection inside them (retire it through the loop instead).
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // New session events are waiting in connection.session().take_events().
  virtual void on_session_events(Connection& connection) = 0;
  // The write queue went from full to below half its bound.
  virtual void on_drained(Connection& connection) = 0;
  // The connection is closed (peer ended, I/O error, timeout, protocol error, or close()).
  // Called exactly once.
  virtual void on_closed(Connection& connection, const Error& reason) = 0;
};

// One replication connection: a Session driven over a ByteStream: a duplex libuv stream, a read
// stream and a separate write stream (e.g. standard input and output), or a uTP connection.
// With two libuv streams, end() closes the write stream (the peer reads end of stream) and end
// of the read stream closes the connection.
class Connection {
 public:
  Connection(uv_loop_t* loop, StreamHandle stream, ConnectionOptions options,
             ConnectionHandler& handler);
  Connection(uv_loop_t* loop, StreamHandle read_stream, StreamHandle write_stream,
             ConnectionOptions options, ConnectionHandler& handler);
  Connection(uv_loop_t* loop, std::unique_ptr<ByteStream> stream, ConnectionOptions options,
             ConnectionHandler& handler);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading and the timers, and sends the initiator's first handshake message.
  Status start();
  Session& session() { return session_; }
  // Writes everything the session has produced. Error::unavailable("queue full") when the
  // queue is above its bound afterwards: the caller pauses until on_drained.
  Status flush();
  // Writes what the session holds on the loop's next turn, without waiting for I/O: the messages
  // of one callback leave in one write (a fetch of 100,000 blocks sent 100,000 requests in as
  // many writes). Back-pressure counts the bytes still in the session (queue_full).
  void flush_soon();
  // Whoever sees the queue full hears on_drained once it is below half again.
  bool queue_full() const {
    const bool full = queued_bytes_ + session_.output_size() > options_.max_queued_bytes;
    was_full_ = was_full_ || full;
    return full;
  }
  size_t queued_bytes() const { return queued_bytes_; }
  bool closed() const { return closed_; }
  // Closes the stream after the queued bytes are written (a graceful end). Idempotent.
  void end();
  // Closes the stream now, reporting `reason` to on_closed. Idempotent.
  void close(Error reason);
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t writes() const { return writes_; }
  // What the connection runs over, for naming the peer and its transport.
  const ByteStream& stream() const { return *stream_; }

 private:
  static void on_timer(uv_timer_t* timer);
  static void on_flush_timer(uv_timer_t* timer);
  void write_bytes(Bytes bytes);
  void on_written(size_t bytes);
  void handle_read(ByteView bytes);

  uv_loop_t* loop_;
  std::unique_ptr<ByteStream> stream_;
  detail::TimerBox* timer_ = nullptr;
  detail::TimerBox* flush_timer_ = nullptr;
  ConnectionOptions options_;
  ConnectionHandler& handler_;
  Session session_;
  size_t queued_bytes_ = 0;
  mutable bool was_full_ = false;  // set by queue_full()
  bool closed_ = false;
  bool ending_ = false;
  bool write_ended_ = false;  // the stream's end() was called
  uint64_t last_sent_ms_ = 0;
  uint64_t last_received_ms_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t writes_ = 0;  // handed to the stream
};

}  // namespace hypermount::wire
