#include "swarm/utp_endpoint.hpp"

#include <doctest/doctest.h>

#include <deque>

namespace hypermount::swarm {
namespace {

const Ipv4Address kA{{10, 0, 0, 1}, 1000};
const Ipv4Address kB{{10, 0, 0, 2}, 2000};

struct Datagram {
  Ipv4Address from;
  Ipv4Address to;
  Bytes bytes;
};

// Collects what one endpoint sends; the test moves it to the other side.
struct Wire final : DatagramSink {
  Wire(Ipv4Address self, std::deque<Datagram>& queue) : self(self), queue(queue) {}
  void send(const Ipv4Address& to, Bytes datagram) override {
    queue.push_back({self, to, std::move(datagram)});
  }
  Ipv4Address self;
  std::deque<Datagram>& queue;
};

RandomSource counter(uint8_t start) {
  return [n = start](uint8_t* out, size_t size) mutable {
    for (size_t i = 0; i < size; ++i) out[i] = n++;
  };
}

struct Stream {
  Bytes received;
  bool connected = false;
  bool ended = false;
  std::optional<Error> error;

  UtpEvents events() {
    return {{},
            [this] { connected = true; },
            [this](ByteView bytes) { received.insert(received.end(), bytes.begin(), bytes.end()); },
            [this] { ended = true; },
            [this](const Error& e) { error = e; }};
  }
};

struct Pair {
  std::deque<Datagram> queue;
  Wire wire_a{kA, queue};
  Wire wire_b{kB, queue};
  Stream accepted;
  UtpConnection* accepted_conn = nullptr;
  bool refuse = false;
  UtpEndpoint a{wire_a, counter(1), UtpConfig{}, [](const Ipv4Address&, UtpConnection&) { return false; }};
  UtpEndpoint b{wire_b, counter(100), UtpConfig{}, [this](const Ipv4Address& from, UtpConnection& conn) {
                  CHECK(from == kA);
                  if (refuse) return false;
                  accepted_conn = &conn;
                  conn.set_events(accepted.events());
                  return true;
                }};
  uint64_t now_us = 0;

  void deliver_all() {
    while (!queue.empty()) {
      Datagram d = std::move(queue.front());
      queue.pop_front();
      REQUIRE(is_utp_datagram(d.bytes));
      (d.to == kA ? a : b).on_datagram(d.from, d.bytes, now_us);
    }
  }
  void step() {
    deliver_all();
    now_us += kUtpTickUs;
    a.tick(now_us);
    b.tick(now_us);
  }
};

TEST_CASE("utp endpoint: dial, accept, talk both ways, close, and forget") {
  Pair pair;
  Stream dialled;
  auto conn = pair.a.connect(kB, dialled.events(), pair.now_us);
  REQUIRE(conn);
  UtpConnection* dialler = *conn;
  for (int i = 0; i < 10 && !dialled.connected; ++i) pair.step();
  REQUIRE(dialled.connected);
  REQUIRE(pair.accepted_conn);
  CHECK(pair.accepted_conn->send_id() == dialler->receive_id());
  CHECK(pair.accepted_conn->receive_id() == static_cast<uint16_t>(dialler->receive_id() + 1));
  const Bytes up(100'000, 0x11);
  const Bytes down(70'000, 0x22);
  size_t up_at = 0;
  size_t down_at = 0;
  for (int i = 0; i < 2000 && !(dialled.ended && pair.accepted.ended); ++i) {
    up_at += dialler->write(ByteView(up).subspan(up_at));
    down_at += pair.accepted_conn->write(ByteView(down).subspan(down_at));
    if (up_at == up.size()) dialler->close();
    if (down_at == down.size()) pair.accepted_conn->close();
    pair.step();
  }
  CHECK(pair.accepted.received == up);
  CHECK(dialled.received == down);
  CHECK(dialled.ended);
  CHECK(pair.accepted.ended);
  // Closed, both linger a few RTOs to acknowledge a resent FIN, then are forgotten.
  for (int i = 0; i < 10; ++i) pair.step();
  CHECK(dialler->state() == UtpState::Closed);
  CHECK(pair.a.connection_count() == 1);
  CHECK(pair.b.connection_count() == 1);
  for (int i = 0; i < 500; ++i) pair.step();
  CHECK(pair.a.connection_count() == 0);
  CHECK(pair.b.connection_count() == 0);
}

TEST_CASE("utp endpoint: a refused SYN resets the dialler") {
  Pair pair;
  pair.refuse = true;
  Stream dialled;
  REQUIRE(pair.a.connect(kB, dialled.events(), pair.now_us));
  for (int i = 0; i < 10 && !dialled.error; ++i) pair.step();
  REQUIRE(dialled.error);
  CHECK(dialled.error->code() == Errc::Unavailable);
  CHECK(pair.b.connection_count() == 0);
  pair.step();
  CHECK(pair.a.connection_count() == 0);
}

TEST_CASE("utp endpoint: strays get a RESET; repeated SYNs and garbage make nothing new") {
  Pair pair;
  UtpPacket stray;
  stray.type = UtpType::Data;
  stray.conn_id = 777;
  stray.seq_nr = 4242;
  pair.b.on_datagram(kA, encode_utp_packet(stray), 0);
  REQUIRE(pair.queue.size() == 1);
  auto reset = decode_utp_packet(pair.queue.front().bytes);
  REQUIRE(reset);
  CHECK(reset->type == UtpType::Reset);
  CHECK(reset->conn_id == 777);
  CHECK(reset->ack_nr == 4242);
  CHECK(pair.queue.front().to == kA);
  pair.queue.clear();

  pair.b.on_datagram(kA, from_hex("41000102").value(), 0);  // too short to decode
  CHECK(pair.queue.empty());

  UtpPacket syn;
  syn.type = UtpType::Syn;
  syn.conn_id = 9;
  syn.seq_nr = 50;
  pair.b.on_datagram(kA, encode_utp_packet(syn), 0);
  pair.b.on_datagram(kA, encode_utp_packet(syn), 0);
  CHECK(pair.b.connection_count() == 1);
  CHECK(pair.queue.size() == 2);  // the STATE, then again for the repeated SYN
  for (const Datagram& d : pair.queue) CHECK(decode_utp_packet(d.bytes)->type == UtpType::State);
}

TEST_CASE("utp endpoint: SYNs beyond the connection bound are reset") {
  Pair pair;
  UtpPacket syn;
  syn.type = UtpType::Syn;
  for (size_t i = 0; i <= kUtpMaxConnections; ++i) {
    syn.conn_id = static_cast<uint16_t>(i * 2);
    pair.b.on_datagram(kA, encode_utp_packet(syn), 0);
  }
  CHECK(pair.b.connection_count() == kUtpMaxConnections);
  REQUIRE(!pair.queue.empty());
  auto last = decode_utp_packet(pair.queue.back().bytes);
  REQUIRE(last);
  CHECK(last->type == UtpType::Reset);
  CHECK(last->conn_id == kUtpMaxConnections * 2);
}

}  // namespace
}  // namespace hypermount::swarm
