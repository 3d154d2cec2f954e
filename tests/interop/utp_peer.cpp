// A uTP peer for the interop test against utp-native: UtpEndpoint on a real libuv UDP socket on
// 127.0.0.1. It sends SIZE pattern bytes and ends, and once the connection is over prints the
// SHA-256 of what it sent and received; it exits once the endpoint has forgotten the connection
// (after its linger). The deadline is 120 s times HM_TIME_SCALE. Usage:
//   utp_peer listen SIZE       (prints "port N" first, serves one connection)
//   utp_peer dial PORT SIZE
#include "swarm/udp_buffers.hpp"
#include "swarm/utp_endpoint.hpp"
#include "util/bytes.hpp"

#include <sodium.h>
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using namespace hypermount;
using namespace hypermount::swarm;

constexpr uint64_t kDeadlineUs = 120'000'000;

uint64_t deadline_us() {
  const char* scale = std::getenv("HM_TIME_SCALE");
  return kDeadlineUs * (scale ? std::max(1ul, std::strtoul(scale, nullptr, 10)) : 1);
}

std::string sha256_hex(const Bytes& bytes) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes.data(), bytes.size());
  return to_hex(ByteView(digest, sizeof digest));
}

struct Peer final : DatagramSink {
  uv_loop_t* loop = nullptr;
  uv_udp_t udp{};
  uv_timer_t timer{};
  uint64_t start_us = 0;
  std::unique_ptr<UtpEndpoint> endpoint;
  UtpConnection* conn = nullptr;
  Bytes out;
  size_t written = 0;
  Bytes in;
  bool ended = false;
  std::optional<Error> error;
  int exit_code = 1;
  bool done = false;  // the result is printed; the loop stops once the connection is forgotten

  uint64_t now_us() const { return uv_hrtime() / 1000; }

  void send(const Ipv4Address& to, Bytes datagram) override {
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(datagram.data()),
                               static_cast<unsigned>(datagram.size()));
    sockaddr_in address = to.to_sockaddr();
    // A full socket buffer drops the datagram, as the network may; uTP resends it.
    (void)uv_udp_try_send(&udp, &buf, 1, reinterpret_cast<const sockaddr*>(&address));
  }

  UtpEvents events() {
    return {{},
            [] {},
            [this](ByteView bytes) { in.insert(in.end(), bytes.begin(), bytes.end()); },
            [this] { ended = true; },
            [this](const Error& e) { error = e; }};
  }

  void finish(int code) {
    if (done) return;
    done = true;
    exit_code = code;
    std::printf("sent %zu %s\nreceived %zu %s\n", out.size(), sha256_hex(out).c_str(), in.size(),
                sha256_hex(in).c_str());
    if (error) std::printf("error%s %s\n", ended ? " after the remote's end" : "", error->to_string().c_str());
    std::fflush(stdout);
  }

  // Feeds the connection and reports the end; false once the peer is done.
  bool pump() {
    if (done) return false;
    if (!conn) return true;
    if (error) {
      // libutp keeps no TIME_WAIT: once it has our FIN it closes, and when its last ack is lost
      // we resend into silence (or a RESET) and fail. After the remote's end, with everything
      // of ours handed over, that is the protocol's normal ending; the hashes tell the rest.
      finish(ended && written == out.size() ? 0 : 1);
      return false;
    }
    if (conn->state() == UtpState::Closed) {
      finish(ended && in.size() > 0 ? 0 : 1);
      return false;
    }
    if (written < out.size()) written += conn->write(ByteView(out).subspan(written));
    if (written == out.size()) conn->close();
    return true;
  }

  static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                      unsigned) {
    auto* self = static_cast<Peer*>(handle->data);
    if (nread > 0 && from && from->sa_family == AF_INET) {
      ByteView datagram(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread));
      if (is_utp_datagram(datagram)) {
        self->endpoint->on_datagram(
            Ipv4Address::from_sockaddr(*reinterpret_cast<const sockaddr_in*>(from)), datagram,
            self->now_us());
        self->pump();
      }
    }
    std::free(buf->base);
  }

  static void on_tick(uv_timer_t* handle) {
    auto* self = static_cast<Peer*>(handle->data);
    self->pump();
    if (self->now_us() - self->start_us > deadline_us()) {
      std::printf("deadline\n");
      self->finish(1);
      uv_stop(self->loop);
      return;
    }
    self->endpoint->tick(self->now_us());
    if (self->conn && self->endpoint->connection_count() == 0) {
      self->finish(1);  // no-op once the result is printed
      uv_stop(self->loop);
      return;
    }
    self->pump();
  }
};

Bytes pattern(size_t size) {
  Bytes bytes(size);
  uint32_t x = 12345;
  for (auto& b : bytes) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!((mode == "listen" && argc == 3) || (mode == "dial" && argc == 4)) || sodium_init() < 0) {
    std::fprintf(stderr, "usage: utp_peer listen SIZE | dial PORT SIZE\n");
    return 2;
  }
  Peer peer;
  peer.loop = uv_default_loop();
  peer.out = pattern(std::stoul(argv[argc - 1]));
  peer.start_us = peer.now_us();
  peer.endpoint = std::make_unique<UtpEndpoint>(
      peer, [](uint8_t* out, size_t size) { randombytes_buf(out, size); }, UtpConfig{},
      [&peer](const Ipv4Address&, UtpConnection& conn) {
        if (peer.conn) return false;
        peer.conn = &conn;
        conn.set_events(peer.events());
        return true;
      });
  uv_udp_init(peer.loop, &peer.udp);
  peer.udp.data = &peer;
  sockaddr_in bind_address{};
  uv_ip4_addr("127.0.0.1", 0, &bind_address);
  if (uv_udp_bind(&peer.udp, reinterpret_cast<const sockaddr*>(&bind_address), 0) != 0) return 1;
  widen_udp_buffers(&peer.udp);  // as the DHT socket does
  sockaddr_in bound{};
  int length = sizeof bound;
  uv_udp_getsockname(&peer.udp, reinterpret_cast<sockaddr*>(&bound), &length);
  uv_udp_recv_start(
      &peer.udp,
      [](uv_handle_t*, size_t size, uv_buf_t* buf) {
        *buf = uv_buf_init(static_cast<char*>(std::malloc(size)), static_cast<unsigned>(size));
      },
      &Peer::on_recv);
  uv_timer_init(peer.loop, &peer.timer);
  peer.timer.data = &peer;
  uv_timer_start(&peer.timer, &Peer::on_tick, kUtpTickUs / 1000, kUtpTickUs / 1000);
  if (mode == "listen") {
    std::printf("port %u\n", ntohs(bound.sin_port));
    std::fflush(stdout);
  } else {
    auto conn = peer.endpoint->connect(Ipv4Address{{127, 0, 0, 1}, static_cast<uint16_t>(std::stoul(argv[2]))},
                                       peer.events(), peer.now_us());
    if (!conn) return 1;
    peer.conn = *conn;
  }
  uv_run(peer.loop, UV_RUN_DEFAULT);
  return peer.exit_code;
}
