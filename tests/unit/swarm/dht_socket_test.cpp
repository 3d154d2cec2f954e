#include "swarm/dht_socket.hpp"

#include <doctest/doctest.h>

#include <sodium.h>

namespace hypermount::swarm {
namespace {

const Ipv4Address kAny{{127, 0, 0, 1}, 0};

Ipv4Address loopback(const DhtSocket& socket) { return Ipv4Address{{127, 0, 0, 1}, socket.port()}; }

// Runs the loop until `done` holds or `timeout_ms` passes; false on the timeout.
template <typename Done>
bool run_until(uv_loop_t& loop, uint64_t timeout_ms, Done done) {
  bool expired = false;
  uv_timer_t deadline;
  uv_timer_init(&loop, &deadline);
  deadline.data = &expired;
  uv_timer_start(&deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, timeout_ms, 0);
  while (!done() && !expired) uv_run(&loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);
  return done();
}

// Two sockets on 127.0.0.1 on a loop of their own, closed cleanly at the end.
struct Pair {
  Pair() {
    REQUIRE(sodium_init() >= 0);
    uv_loop_init(&loop);
    auto opened_a = DhtSocket::open(loop, kAny, DhtConfig{});
    auto opened_b = DhtSocket::open(loop, kAny, DhtConfig{});
    REQUIRE(opened_a);
    REQUIRE(opened_b);
    a = std::move(*opened_a);
    b = std::move(*opened_b);
  }
  ~Pair() {
    a.reset();
    b.reset();
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  uv_loop_t loop;
  std::unique_ptr<DhtSocket> a;
  std::unique_ptr<DhtSocket> b;
};

}  // namespace

TEST_CASE("dht socket: uTP datagrams go to the endpoint and the rest to the DHT, on one port") {
  Pair p;
  auto& a = p.a;
  auto& b = p.b;
  Bytes received;
  bool ended = false;
  bool connected = false;
  bool accepted = false;
  b->set_utp_accept([&](const Ipv4Address& from, UtpConnection& conn) {
    CHECK(from == loopback(*a));
    accepted = true;
    conn.set_events({{}, [] {}, [&](ByteView bytes) { received.insert(received.end(), bytes.begin(), bytes.end()); },
                     [&] { ended = true; }, [](const Error&) {}});
    return true;
  });
  auto conn = a->utp().connect(loopback(*b),
                                  {{}, [&] { connected = true; }, [](ByteView) {}, [] {}, [](const Error&) {}},
                                  DhtSocket::now_us());
  REQUIRE(conn);
  const std::string text = "over uTP beside the DHT";
  CHECK((*conn)->write(ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size())) == text.size());
  (*conn)->close();
  std::optional<bool> pinged;
  Message ping;
  ping.command = "_ping";
  REQUIRE(a->node().request(MessageType::Query, {loopback(*b), std::nullopt, std::nullopt}, ping,
                               [&](Result<Reply> r) { pinged = r.ok(); }).ok());
  CHECK(run_until(p.loop, 10000, [&] { return ended && pinged.has_value(); }));
  CHECK(accepted);
  CHECK(connected);
  CHECK(std::string(received.begin(), received.end()) == text);
  CHECK(pinged == std::optional<bool>(true));
  CHECK(b->utp().connection_count() == 1);
}

TEST_CASE("dht socket: a uTP SYN is refused until an accept handler is set") {
  Pair p;
  auto& a = p.a;
  auto& b = p.b;
  std::optional<Error> error;
  auto conn = a->utp().connect(loopback(*b), {{}, [] {}, [](ByteView) {}, [] {}, [&](const Error& e) { error = e; }},
                                  DhtSocket::now_us());
  REQUIRE(conn);
  CHECK(run_until(p.loop, 10000, [&] { return error.has_value(); }));
  CHECK(error->code() == Errc::Unavailable);
  CHECK(b->utp().connection_count() == 0);
}

}  // namespace hypermount::swarm
