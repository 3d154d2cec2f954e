#include "swarm/dht_socket.hpp"
#include "swarm/udp_buffers.hpp"

#include "crypto/keys.hpp"
#include "util/log.hpp"

namespace hypermount::swarm {

namespace {

struct SendRequest {
  uv_udp_send_t req;
  Bytes data;
};

template <typename Handle>
void close_and_free(Handle* handle) {
  if (handle == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
}

}  // namespace

Result<std::unique_ptr<DhtSocket>> DhtSocket::open(uv_loop_t& loop, const Ipv4Address& address,
                                                   DhtConfig config) {
  std::unique_ptr<DhtSocket> self(new DhtSocket());
  self->udp_ = new uv_udp_t;
  uv_udp_init(&loop, self->udp_);
  self->udp_->data = self.get();
  sockaddr_in bind_address = address.to_sockaddr();
  if (int rc = uv_udp_bind(self->udp_, reinterpret_cast<const sockaddr*>(&bind_address), 0);
      rc != 0) {
    return Error::io(-rc, "binding UDP {}: {}", address.to_string(), uv_strerror(rc));
  }
  widen_udp_buffers(self->udp_);
  sockaddr_in bound{};
  int length = sizeof bound;
  uv_udp_getsockname(self->udp_, reinterpret_cast<sockaddr*>(&bound), &length);
  self->port_ = ntohs(bound.sin_port);
  self->buffer_ = std::make_unique<uint8_t[]>(kMaxDatagramSize);
  self->node_ = std::make_unique<DhtNode>(std::move(config), *self,
                                          [](uint8_t* out, size_t n) { crypto::random_bytes(out, n); });
  self->hyper_ = std::make_unique<HyperDht>(*self->node_);
  self->discovery_ = std::make_unique<Discovery>(*self->hyper_, *self->node_);
  DhtSocket* raw = self.get();
  self->utp_ = std::make_unique<UtpEndpoint>(
      *self, [](uint8_t* out, size_t n) { crypto::random_bytes(out, n); }, UtpConfig{},
      [raw](const Ipv4Address& from, UtpConnection& connection) {
        return raw->utp_accept_ && raw->utp_accept_(from, connection);
      });
  auto on_alloc = [](uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* s = static_cast<DhtSocket*>(h->data);
    *buf = uv_buf_init(reinterpret_cast<char*>(s->buffer_.get()), kMaxDatagramSize);
  };
  if (int rc = uv_udp_recv_start(self->udp_, on_alloc, &DhtSocket::on_recv); rc != 0) {
    return Error::io(-rc, "receiving on UDP {}: {}", address.to_string(), uv_strerror(rc));
  }
  self->tick_ = new uv_timer_t;
  self->housekeeping_ = new uv_timer_t;
  uv_timer_init(&loop, self->tick_);
  uv_timer_init(&loop, self->housekeeping_);
  self->utp_tick_ = new uv_timer_t;
  uv_timer_init(&loop, self->utp_tick_);
  self->tick_->data = self->housekeeping_->data = self->utp_tick_->data = self.get();
  uv_timer_start(self->utp_tick_,
                 [](uv_timer_t* t) {
                   auto* s = static_cast<DhtSocket*>(t->data);
                   s->utp_->tick(s->now_us());
                 },
                 kUtpTickUs / 1000, kUtpTickUs / 1000);
  uv_timer_start(self->tick_, [](uv_timer_t* t) { static_cast<DhtSocket*>(t->data)->node_->tick(); },
                 kTickMillis, kTickMillis);
  uv_timer_start(self->housekeeping_,
                 [](uv_timer_t* t) {
                   auto* s = static_cast<DhtSocket*>(t->data);
                   s->node_->housekeeping();
                   s->hyper_->housekeeping();
                   s->discovery_->housekeeping();
                 },
                 kHousekeepingMillis, kHousekeepingMillis);
  return self;
}

DhtSocket::~DhtSocket() {
  utp_.reset();
  discovery_.reset();
  hyper_.reset();
  node_.reset();
  close_and_free(udp_);
  close_and_free(tick_);
  close_and_free(housekeeping_);
  close_and_free(utp_tick_);
}

uint64_t DhtSocket::now_us() { return uv_hrtime() / 1000; }

void DhtSocket::on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                        unsigned flags) {
  auto* self = static_cast<DhtSocket*>(handle->data);
  if (nread <= 0 || from == nullptr || from->sa_family != AF_INET || (flags & UV_UDP_PARTIAL)) {
    return;
  }
  Ipv4Address sender = Ipv4Address::from_sockaddr(*reinterpret_cast<const sockaddr_in*>(from));
  ByteView datagram(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread));
  if (is_utp_datagram(datagram)) {
    self->utp_->on_datagram(sender, datagram, self->now_us());
  } else {
    self->node_->on_datagram(sender, datagram);
  }
}

void DhtSocket::send(const Ipv4Address& to, Bytes datagram) {
  if (uv_udp_get_send_queue_count(udp_) >= kMaxQueuedSends) {
    log::debug("swarm", "dht: send queue full, dropped a datagram to {}", to.to_string());
    return;
  }
  auto* request = new SendRequest{{}, std::move(datagram)};
  request->req.data = request;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(request->data.data()),
                             static_cast<unsigned>(request->data.size()));
  sockaddr_in address = to.to_sockaddr();
  int rc = uv_udp_send(&request->req, udp_, &buf, 1, reinterpret_cast<const sockaddr*>(&address),
                       [](uv_udp_send_t* req, int) { delete static_cast<SendRequest*>(req->data); });
  if (rc != 0) {
    log::debug("swarm", "dht: sending to {}: {}", to.to_string(), uv_strerror(rc));
    delete request;
  }
}

}  // namespace hypermount::swarm
