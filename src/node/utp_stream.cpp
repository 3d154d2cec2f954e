#include "node/utp_stream.hpp"

namespace hypermount::node {

UtpStream::UtpStream(uv_loop_t* loop, const swarm::DhtSocket& socket, swarm::UtpConnection& connection,
                     const swarm::Ipv4Address& remote)
    : connection_(&connection), socket_alive_(socket.alive()), remote_(remote) {
  std::shared_ptr<Shared> shared = shared_;
  connection.set_events({{}, [] {},
                         [shared](ByteView bytes) {
                           if (!shared->closed && shared->started) shared->events.data(bytes);
                         },
                         [shared] {
                           if (!shared->closed && shared->started) {
                             shared->events.failed(Error::unavailable("peer ended the stream"));
                           }
                         },
                         [shared](const Error& error) {
                           shared->dead = true;
                           if (!shared->closed && shared->started) shared->events.failed(error);
                         }});
  timer_ = new uv_timer_t;
  uv_timer_init(loop, timer_);
  timer_->data = this;
}

UtpStream::~UtpStream() {
  close();
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

swarm::UtpConnection* UtpStream::live() const {
  if (shared_->closed || shared_->dead || socket_alive_.expired()) return nullptr;
  return connection_;
}

Status UtpStream::start(wire::ByteStreamEvents events) {
  if (live() == nullptr) return Error::unavailable("utp connection to {} is gone", remote_.to_string());
  shared_->events = std::move(events);
  shared_->started = true;
  schedule_pump(swarm::kUtpTickUs / 1000);
  return {};
}

void UtpStream::schedule_pump(uint64_t first_ms) {
  uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<UtpStream*>(t->data)->pump(); }, first_ms,
                 swarm::kUtpTickUs / 1000);
}

Status UtpStream::write(Bytes bytes) {
  if (live() == nullptr) return Error::unavailable("utp connection to {} is gone", remote_.to_string());
  if (!ending_ && !bytes.empty()) pending_.push_back(std::move(bytes));
  // Offered on the next turn of the loop, not the next tick: a request waits no 20 ms.
  if (shared_->started) schedule_pump(0);
  return {};
}

void UtpStream::pump() {
  swarm::UtpConnection* conn = live();
  if (conn == nullptr) return;
  size_t taken = 0;
  while (!pending_.empty()) {
    ByteView rest = ByteView(pending_.front()).subspan(pending_offset_);
    size_t n = conn->write(rest);
    taken += n;
    if (n < rest.size()) {
      pending_offset_ += n;
      break;
    }
    pending_.pop_front();
    pending_offset_ = 0;
  }
  if (ending_ && pending_.empty() && !fin_sent_) {
    fin_sent_ = true;
    conn->close();
  }
  // Last: the user may write, end or close from inside.
  if (taken > 0) shared_->events.written(taken);
}

Status UtpStream::end() {
  ending_ = true;
  if (shared_->started) schedule_pump(0);  // the pump sends the FIN after the waiting bytes
  return {};
}

void UtpStream::close() {
  if (shared_->closed) return;
  if (swarm::UtpConnection* conn = live(); conn != nullptr && !fin_sent_) conn->close();
  shared_->closed = true;
  uv_timer_stop(timer_);
  pending_.clear();
}

}  // namespace hypermount::node
