// Session over a libuv stream (or a read stream plus a write stream): handle boxes freed in close
// callbacks, bounded write queue, keep-alive and idle timers, TCP listen/dial, standard I/O.
#include "wire/stream_transport.hpp"

#include "util/log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

namespace hypermount::wire {

namespace detail {

// The memory of a stream handle; `owner` is the Connection or TcpListener using it, cleared
// when that owner goes away so late libuv callbacks do nothing. Freed in the close callback.
struct StreamBox {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  };
  void* owner = nullptr;
  std::array<char, 64 * 1024> read_buffer;
  StreamBox() {}
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&tcp); }
};

struct TimerBox {
  uv_timer_t timer;
  Connection* owner = nullptr;
};

}  // namespace detail

namespace {

using detail::StreamBox;

void free_stream_box(uv_handle_t* handle) { delete static_cast<StreamBox*>(handle->data); }
void free_timer_box(uv_handle_t* handle) { delete static_cast<detail::TimerBox*>(handle->data); }

struct WriteReq {
  uv_write_t req;
  Bytes bytes;
};

struct ConnectReq {
  uv_connect_t req;
  StreamHandle handle;
  std::function<void(Result<StreamHandle>)> callback;
  std::shared_ptr<bool> pending = std::make_shared<bool>(true);  // expires with the request
};

Error uv_error(int code, std::string_view what) {
  return Error::io(-code, "{}: {}", what, uv_strerror(code));
}

}  // namespace

// ---- StreamHandle -------------------------------------------------------------------------

StreamHandle::~StreamHandle() { reset(); }

StreamHandle& StreamHandle::operator=(StreamHandle&& other) noexcept {
  if (this != &other) {
    reset();
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

Result<StreamHandle> StreamHandle::tcp(uv_loop_t* loop) {
  auto* box = new StreamBox();
  int rc = uv_tcp_init(loop, &box->tcp);
  if (rc != 0) {
    delete box;
    return uv_error(rc, "creating a TCP handle");
  }
  box->tcp.data = box;
  return StreamHandle(box);
}

Result<StreamHandle> StreamHandle::pipe_from_fd(uv_loop_t* loop, int fd) {
  auto* box = new StreamBox();
  int rc = uv_pipe_init(loop, &box->pipe, 0);
  if (rc != 0) {
    delete box;
    return uv_error(rc, "creating a pipe handle");
  }
  box->pipe.data = box;
  StreamHandle handle(box);
  rc = uv_pipe_open(&box->pipe, fd);
  if (rc != 0) return uv_error(rc, fmt::format("opening fd {} as a pipe", fd));
  return handle;
}

uv_stream_t* StreamHandle::stream() const {
  return box_ == nullptr ? nullptr : reinterpret_cast<uv_stream_t*>(&box_->tcp);
}

void StreamHandle::reset() {
  if (box_ == nullptr) return;
  box_->owner = nullptr;
  uv_handle_t* handle = box_->handle();
  if (uv_is_closing(handle) == 0) uv_close(handle, free_stream_box);
  box_ = nullptr;
}

// ---- standard input/output ----------------------------------------------------------------

namespace {

// Why `fd` cannot carry the wire, or "" if it can (pipe, FIFO or socket).
std::string unusable_fd_reason(int fd, std::string_view name) {
  switch (uv_guess_handle(fd)) {
    case UV_NAMED_PIPE:
    case UV_TCP:
      return {};
    case UV_FILE:
      return fmt::format("{} is a file or device; --stdio needs a pipe, FIFO or socket", name);
    case UV_TTY:
      return fmt::format("{} is a terminal; --stdio needs a pipe, FIFO or socket", name);
    default:
      return fmt::format("{} is not open or not a pipe, FIFO or socket", name);
  }
}

Result<int> duplicate_fd(int fd, std::string_view name) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return Error::io(errno, "duplicating {}: {}", name, std::strerror(errno));
  return copy;
}

}  // namespace

Result<StdioStreams> take_stdio(uv_loop_t* loop) {
  for (auto [fd, name] : {std::pair{0, "standard input"}, std::pair{1, "standard output"}}) {
    std::string reason = unusable_fd_reason(fd, name);
    if (!reason.empty()) return Error::invalid("{}", reason);
  }
  // libuv never closes fds 0-2, so the streams own duplicates: closing the output duplicate
  // (after fd 1 is pointed elsewhere) is what lets the peer read end of stream.
  HM_TRY_ASSIGN(int in_fd, duplicate_fd(0, "standard input"));
  auto out_fd = duplicate_fd(1, "standard output");
  if (!out_fd) {
    ::close(in_fd);
    return out_fd.error();
  }
  std::fflush(stdout);
  if (dup2(2, 1) < 0) {
    int err = errno;
    ::close(in_fd);
    ::close(*out_fd);
    return Error::io(err, "redirecting standard output: {}", std::strerror(err));
  }
  StdioStreams streams;
  auto input = StreamHandle::pipe_from_fd(loop, in_fd);
  if (!input) {
    ::close(in_fd);
    ::close(*out_fd);
    return input.error();
  }
  streams.input = std::move(*input);  // owns in_fd from here on
  auto output = StreamHandle::pipe_from_fd(loop, *out_fd);
  if (!output) {
    ::close(*out_fd);
    return output.error();
  }
  streams.output = std::move(*output);
  return streams;
}

// ---- addresses, listen, dial --------------------------------------------------------------

Result<sockaddr_in> parse_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Error::invalid("'{}' is not HOST:PORT", text);
  std::string host(text.substr(0, colon));
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Error::invalid("bad port in '{}'", text);
  }
  sockaddr_in address{};
  if (uv_ip4_addr(host.c_str(), static_cast<int>(port), &address) != 0) {
    return Error::invalid("bad IPv4 address in '{}'", text);
  }
  return address;
}

Result<std::unique_ptr<TcpListener>> TcpListener::listen(uv_loop_t* loop,
                                                         const sockaddr_in& address,
                                                         OnConnection on_connection) {
  HM_TRY_ASSIGN(StreamHandle handle, StreamHandle::tcp(loop));
  std::unique_ptr<TcpListener> listener(new TcpListener());
  listener->handle_ = std::move(handle);
  listener->on_connection_ = std::move(on_connection);
  listener->handle_.box_->owner = listener.get();
  uv_tcp_t* tcp = &listener->handle_.box_->tcp;
  int rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 64, &TcpListener::on_accept);
  if (rc != 0) return uv_error(rc, "listening");
  sockaddr_in bound{};
  int len = sizeof(bound);
  rc = uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len);
  if (rc != 0) return uv_error(rc, "reading the listening address");
  listener->port_ = ntohs(bound.sin_port);
  return listener;
}

TcpListener::~TcpListener() = default;

void TcpListener::on_accept(uv_stream_t* server, int status) {
  auto* box = static_cast<StreamBox*>(server->data);
  auto* self = static_cast<TcpListener*>(box->owner);
  if (self == nullptr) return;
  if (status < 0) {
    log::warn("wire", "accept failed: {}", uv_strerror(status));
    return;
  }
  auto handle = StreamHandle::tcp(server->loop);
  if (!handle) {
    log::warn("wire", "accept: {}", handle.error().to_string());
    return;
  }
  int rc = uv_accept(server, handle->stream());
  if (rc != 0) {
    log::warn("wire", "accept failed: {}", uv_strerror(rc));
    return;
  }
  uv_tcp_nodelay(&handle->box_->tcp, 1);
  self->on_connection_(std::move(*handle));
}

Result<std::function<void()>> dial_tcp(uv_loop_t* loop, const sockaddr_in& address,
                std::function<void(Result<StreamHandle>)> callback) {
  HM_TRY_ASSIGN(StreamHandle handle, StreamHandle::tcp(loop));
  auto* req = new ConnectReq();
  req->handle = std::move(handle);
  req->callback = std::move(callback);
  req->req.data = req;
  auto* tcp = reinterpret_cast<uv_tcp_t*>(req->handle.stream());
  int rc = uv_tcp_connect(&req->req, tcp, reinterpret_cast<const sockaddr*>(&address),
                          [](uv_connect_t* connect, int status) {
                            std::unique_ptr<ConnectReq> owned(static_cast<ConnectReq*>(connect->data));
                            if (status < 0) {
                              owned->callback(uv_error(status, "connecting"));
                              return;
                            }
                            uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(owned->handle.stream()), 1);
                            owned->callback(std::move(owned->handle));
                          });
  if (rc != 0) {
    delete req;
    return uv_error(rc, "connecting");
  }
  return std::function<void()>([req, pending = std::weak_ptr<bool>(req->pending)] {
    if (!pending.expired()) req->handle.reset();
  });
}

// ---- libuv streams -------------------------------------------------------------------------

namespace {

// A ByteStream over a duplex libuv stream, or over a read stream and a separate write stream.
class UvByteStream final : public ByteStream {
 public:
  UvByteStream(StreamHandle stream, StreamHandle write_stream, bool split)
      : stream_(std::move(stream)), write_stream_(std::move(write_stream)), split_(split) {}
  ~UvByteStream() override { close(); }

  Status start(ByteStreamEvents events) override {
    if (!stream_.valid()) return Error::invalid("connection has no stream");
    if (split_ && !write_stream_.valid()) return Error::invalid("connection has no write stream");
    events_ = std::move(events);
    box(stream_)->owner = this;
    if (split_) box(write_stream_)->owner = this;
    int rc = uv_read_start(
        stream_.stream(),
        [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
          auto* box = static_cast<StreamBox*>(handle->data);
          *buf = uv_buf_init(box->read_buffer.data(), static_cast<unsigned>(box->read_buffer.size()));
        },
        &UvByteStream::on_read);
    if (rc != 0) return uv_error(rc, "starting to read");
    return {};
  }

  Status write(Bytes bytes) override {
    // A separate write stream closed by end(): like a shut-down socket, nothing more goes out.
    if (writer() == nullptr) return {};
    auto* req = new WriteReq();
    req->bytes = std::move(bytes);
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(req->bytes.data()),
                               static_cast<unsigned>(req->bytes.size()));
    int rc = uv_write(&req->req, writer(), &buf, 1, &UvByteStream::on_write);
    if (rc != 0) {
      delete req;
      return uv_error(rc, "writing");
    }
    return {};
  }

  Status end() override {
    if (split_) {
      // A pipe has no half-close: closing the write stream is the end of stream the peer reads.
      write_stream_.reset();
      return {};
    }
    auto* req = new uv_shutdown_t();
    int rc = uv_shutdown(req, writer(), [](uv_shutdown_t* r, int) { delete r; });
    if (rc != 0) {
      delete req;
      return Error::unavailable("stream ended");
    }
    return {};
  }

  // Resetting the handles clears their owner, so no callback reaches this stream afterwards.
  void close() override {
    if (stream_.valid()) uv_read_stop(stream_.stream());
    stream_.reset();
    write_stream_.reset();
  }

  std::string transport() const override {
    uv_stream_t* stream = stream_.stream();
    return stream != nullptr && stream->type == UV_TCP ? "tcp" : "pipe";
  }

  std::string remote() const override {
    uv_stream_t* stream = stream_.stream();
    if (stream == nullptr || stream->type != UV_TCP) return "stream";
    sockaddr_storage address{};
    int length = sizeof(address);
    if (uv_tcp_getpeername(reinterpret_cast<uv_tcp_t*>(stream), reinterpret_cast<sockaddr*>(&address),
                           &length) != 0) {
      return "unknown";
    }
    char host[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
      ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
      return fmt::format("{}:{}", host, ntohs(in->sin_port));
    }
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return fmt::format("[{}]:{}", host, ntohs(in6->sin6_port));
  }

 private:
  static StreamBox* box(const StreamHandle& handle) {
    return static_cast<StreamBox*>(handle.stream()->data);
  }
  // Where writes go: the separate write stream if there is one, else the duplex stream; null
  // once a separate write stream was closed by end().
  uv_stream_t* writer() const { return split_ ? write_stream_.stream() : stream_.stream(); }

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<UvByteStream*>(static_cast<StreamBox*>(stream->data)->owner);
    if (self == nullptr) return;
    if (nread == UV_EOF) {
      self->events_.failed(Error::unavailable("peer ended the stream"));
    } else if (nread < 0) {
      self->events_.failed(uv_error(static_cast<int>(nread), "reading"));
    } else if (nread > 0) {
      self->events_.data(ByteView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)));
    }
  }

  static void on_write(uv_write_t* uv_req, int status) {
    std::unique_ptr<WriteReq> req(reinterpret_cast<WriteReq*>(uv_req));
    auto* self = static_cast<UvByteStream*>(static_cast<StreamBox*>(uv_req->handle->data)->owner);
    if (self == nullptr) return;
    if (status < 0) {
      self->events_.failed(uv_error(status, "writing"));
      return;
    }
    self->events_.written(req->bytes.size());
  }

  StreamHandle stream_;
  StreamHandle write_stream_;
  bool split_;
  ByteStreamEvents events_;
};

}  // namespace

std::unique_ptr<ByteStream> byte_stream(StreamHandle stream) {
  return std::make_unique<UvByteStream>(std::move(stream), StreamHandle(), false);
}

// ---- Connection ---------------------------------------------------------------------------

Connection::Connection(uv_loop_t* loop, StreamHandle stream, ConnectionOptions options,
                       ConnectionHandler& handler)
    : Connection(loop, byte_stream(std::move(stream)), std::move(options), handler) {}

Connection::Connection(uv_loop_t* loop, StreamHandle read_stream, StreamHandle write_stream,
                       ConnectionOptions options, ConnectionHandler& handler)
    : Connection(loop, std::make_unique<UvByteStream>(std::move(read_stream), std::move(write_stream), true),
                 std::move(options), handler) {}

Connection::Connection(uv_loop_t* loop, std::unique_ptr<ByteStream> stream, ConnectionOptions options,
                       ConnectionHandler& handler)
    : loop_(loop),
      stream_(std::move(stream)),
      options_(std::move(options)),
      handler_(handler),
      session_(options_.session) {}

Connection::~Connection() {
  for (detail::TimerBox** box : {&timer_, &flush_timer_}) {
    if (*box == nullptr) continue;
    (*box)->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&(*box)->timer), free_timer_box);
    *box = nullptr;
  }
  stream_->close();
}

Status Connection::start() {
  HM_TRY(stream_->start({[this](ByteView bytes) { handle_read(bytes); },
                         [this](size_t bytes) { on_written(bytes); },
                         [this](Error reason) { close(std::move(reason)); }}));
  last_received_ms_ = last_sent_ms_ = uv_now(loop_);
  timer_ = new detail::TimerBox();
  uv_timer_init(loop_, &timer_->timer);
  timer_->timer.data = timer_;
  timer_->owner = this;
  uint64_t interval = std::max<uint64_t>(
      20, std::min(options_.keep_alive_ms, options_.idle_timeout_ms) / 4);
  uv_timer_start(&timer_->timer, &Connection::on_timer, interval, interval);
  flush_timer_ = new detail::TimerBox();
  uv_timer_init(loop_, &flush_timer_->timer);
  flush_timer_->timer.data = flush_timer_;
  flush_timer_->owner = this;
  auto status = flush();
  (void)status;  // a full queue right at the start cannot happen (one handshake message)
  return {};
}

Status Connection::flush() {
  if (closed_) return Error::unavailable("connection is closed");
  Bytes out = session_.take_output();
  if (!out.empty()) write_bytes(std::move(out));
  if (queue_full()) return Error::unavailable("queue full: {} bytes waiting", queued_bytes_);
  return {};
}

void Connection::flush_soon() {
  if (flush_timer_ == nullptr) {
    (void)flush();  // not started: nothing to wait for
    return;
  }
  // Due at once: the loop runs it on its next turn and does not sleep in between.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_timer_->timer))) {
    uv_timer_start(&flush_timer_->timer, &Connection::on_flush_timer, 0, 0);
  }
}

void Connection::on_flush_timer(uv_timer_t* timer) {
  auto* box = static_cast<detail::TimerBox*>(timer->data);
  if (box->owner != nullptr && !box->owner->closed_) (void)box->owner->flush();
}

void Connection::write_bytes(Bytes bytes) {
  if (closed_ || write_ended_) return;
  const size_t size = bytes.size();
  queued_bytes_ += size;
  ++writes_;
  last_sent_ms_ = uv_now(loop_);
  if (auto written = stream_->write(std::move(bytes)); !written) {
    queued_bytes_ -= size;
    close(written.error());
  }
}

void Connection::on_written(size_t bytes) {
  if (closed_) return;
  queued_bytes_ -= bytes;
  bytes_sent_ += bytes;
  if (ending_ && queued_bytes_ == 0) {
    end();
    return;
  }
  if (was_full_ && queued_bytes_ <= options_.max_queued_bytes / 2) {
    was_full_ = false;
    handler_.on_drained(*this);
  }
}

void Connection::end() {
  if (closed_) return;
  if (!ending_) {
    ending_ = true;
    // After a graceful end the peer only has to answer with its own end.
    options_.idle_timeout_ms = std::min<uint64_t>(options_.idle_timeout_ms, 3000);
    last_received_ms_ = uv_now(loop_);
  }
  if (!write_ended_) (void)flush();  // what the session holds goes before the end
  if (queued_bytes_ > 0 || write_ended_) return;  // on_written calls back once the queue is empty
  write_ended_ = true;
  if (auto ended = stream_->end(); !ended) close(ended.error());
}

void Connection::close(Error reason) {
  if (closed_) return;
  closed_ = true;
  if (timer_ != nullptr) uv_timer_stop(&timer_->timer);
  if (flush_timer_ != nullptr) uv_timer_stop(&flush_timer_->timer);
  stream_->close();
  handler_.on_closed(*this, reason);
}

void Connection::handle_read(ByteView bytes) {
  if (closed_) return;
  bytes_received_ += bytes.size();
  uint64_t units = session_.units_received();
  auto status = session_.receive(bytes);
  if (session_.units_received() != units) last_received_ms_ = uv_now(loop_);
  if (!status) {
    auto flushed = flush();
    (void)flushed;
    close(status.error());
    return;
  }
  auto flushed = flush();
  (void)flushed;  // the handler checks queue_full() itself
  if (!closed_) handler_.on_session_events(*this);
}

void Connection::on_timer(uv_timer_t* timer) {
  auto* box = static_cast<detail::TimerBox*>(timer->data);
  Connection* self = box->owner;
  if (self == nullptr || self->closed_) return;
  uint64_t now = uv_now(self->loop_);
  if (now - self->last_received_ms_ >= self->options_.idle_timeout_ms) {
    self->close(Error(Errc::Timeout, fmt::format("no complete message received for {} ms",
                                                 self->options_.idle_timeout_ms)));
    return;
  }
  if (!self->ending_ && self->session_.handshake_finished() &&
      now - self->last_sent_ms_ >= self->options_.keep_alive_ms) {
    if (self->session_.send_keep_alive()) {
      auto flushed = self->flush();
      (void)flushed;
    }
  }
}

}  // namespace hypermount::wire
