#include "swarm/utp_connection.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <random>

namespace hypermount::swarm {
namespace {

struct LinkSettings {
  uint64_t latency_us = 10'000;
  uint64_t jitter_us = 0;
  double loss = 0;
  double duplicate = 0;
  double bytes_per_us = 0;  // 0: unlimited
  uint16_t first_seq[2] = {1000, 5000};
  uint16_t receive_id = 0x4567;
  uint64_t start_us = 0;
  UtpConfig config[2] = {};
};

// Two connections joined by a simulated link on a virtual clock. Side 0 dials, side 1 accepts
// the first SYN it sees. Each direction has latency, random extra delay (reordering), loss,
// duplication and an optional bandwidth limit whose queue adds delay.
struct Link {

  struct Side {
    std::unique_ptr<UtpConnection> conn;
    Bytes to_send;
    size_t written = 0;
    bool close_when_written = false;
    Bytes received;
    bool connected = false;
    bool ended = false;
    std::optional<Error> error;
    size_t datagrams_sent = 0;
    uint32_t max_advertised = 0;
    size_t selective_acks_sent = 0;
    uint64_t link_free_us = 0;
  };

  struct Delivery {
    int to;
    Bytes datagram;
  };

  explicit Link(LinkSettings s)
      : settings(s), now_us(s.start_us), next_tick_us(s.start_us + kUtpTickUs) {}

  UtpEvents events(int index) {
    UtpEvents e;
    e.send = [this, index](Bytes datagram) { transmit(index, std::move(datagram)); };
    e.connected = [this, index] { side[index].connected = true; };
    e.data = [this, index](ByteView bytes) {
      side[index].received.insert(side[index].received.end(), bytes.begin(), bytes.end());
    };
    e.end = [this, index] { side[index].ended = true; };
    e.error = [this, index](const Error& error) { side[index].error = error; };
    return e;
  }

  void connect() {
    side[0].conn = UtpConnection::connect(settings.receive_id, settings.first_seq[0],
                                          settings.config[0], events(0), now_us);
  }

  void transmit(int from, Bytes datagram) {
    Side& s = side[from];
    ++s.datagrams_sent;
    if (auto packet = decode_utp_packet(datagram)) {
      s.max_advertised = std::max(s.max_advertised, packet->wnd_size);
      if (packet->selective_ack) ++s.selective_acks_sent;
    }
    if (drop_next[from] > 0) {
      --drop_next[from];
      return;
    }
    if (auto packet = decode_utp_packet(datagram); packet && packet->type == UtpType::Data) {
      last_data[from] = *packet;
      if (auto it = drop_seq[from].find(packet->seq_nr); it != drop_seq[from].end() && it->second > 0) {
        --it->second;
        return;
      }
    }
    if (silent[from] || chance(settings.loss)) return;
    uint64_t at = now_us;
    if (settings.bytes_per_us > 0) {
      // The bottleneck serialises packets; its queue is what LEDBAT measures.
      s.link_free_us = std::max(s.link_free_us, now_us) +
                       static_cast<uint64_t>(static_cast<double>(datagram.size()) / settings.bytes_per_us);
      at = s.link_free_us;
    }
    at += settings.latency_us;
    if (settings.jitter_us > 0) at += std::uniform_int_distribution<uint64_t>(0, settings.jitter_us)(rng);
    if (chance(settings.duplicate)) queue.emplace(at + 1000, Delivery{1 - from, datagram});
    queue.emplace(at, Delivery{1 - from, std::move(datagram)});
  }

  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < p; }

  void deliver(Delivery d) {
    auto packet = decode_utp_packet(d.datagram);
    REQUIRE(packet);
    Side& s = side[d.to];
    if (!s.conn) {
      if (d.to != 1 || packet->type != UtpType::Syn) return;
      s.conn = UtpConnection::accept(*packet, settings.first_seq[1], settings.config[1], events(1),
                                     now_us);
      return;
    }
    s.conn->on_packet(*packet, now_us);
  }

  void pump(Side& s) {
    if (!s.conn || s.conn->state() == UtpState::Failed) return;
    if (s.written < s.to_send.size()) {
      s.written += s.conn->write(ByteView(s.to_send).subspan(s.written));
    }
    if (s.close_when_written && s.written == s.to_send.size()) s.conn->close();
  }

  // Runs events in time order until `done` holds or the virtual clock passes `limit_us`.
  template <typename Done>
  bool run(Done done, uint64_t limit_us) {
    while (!done()) {
      if (now_us >= limit_us) return false;
      if (!queue.empty() && queue.begin()->first <= next_tick_us) {
        auto it = queue.begin();
        now_us = it->first;
        Delivery d = std::move(it->second);
        queue.erase(it);
        deliver(std::move(d));
      } else {
        now_us = next_tick_us;
        next_tick_us += kUtpTickUs;
        for (Side& s : side) {
          if (s.conn) s.conn->tick(now_us);
        }
      }
      for (Side& s : side) pump(s);
      if (side[0].conn) max_in_flight = std::max(max_in_flight, side[0].conn->bytes_in_flight());
      if (side[0].conn) max_window = std::max(max_window, side[0].conn->congestion_window());
    }
    return true;
  }

  LinkSettings settings;
  Side side[2];
  bool silent[2] = {false, false};
  // Drops this many of the next datagrams from each side, before any random loss.
  size_t drop_next[2] = {0, 0};
  // Drops this many sendings of a DATA packet, by sequence number, from each side.
  std::map<uint16_t, int> drop_seq[2];
  std::optional<UtpPacket> last_data[2];
  std::multimap<uint64_t, Delivery> queue;
  uint64_t now_us;
  uint64_t next_tick_us;
  std::mt19937 rng{42};
  size_t max_in_flight = 0;
  size_t max_window = 0;
};

Bytes pattern(size_t size, uint32_t seed) {
  Bytes out(size);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Sends `size` bytes from the dialler, closes, and checks they arrive intact and in order.
Link transfer(LinkSettings settings, size_t size, uint64_t limit_us) {
  Link link(settings);
  link.side[0].to_send = pattern(size, 7);
  link.side[0].close_when_written = true;
  link.connect();
  const bool done = link.run([&] { return link.side[1].ended; }, limit_us);
  CHECK(done);
  CHECK(link.side[0].connected);
  CHECK(!link.side[0].error);
  CHECK(!link.side[1].error);
  CHECK(link.side[1].received.size() == size);
  CHECK(link.side[1].received == link.side[0].to_send);
  return link;
}

constexpr size_t kFourMiB = size_t{4} << 20;

TEST_CASE("utp connection: 4 MiB over a clean link, without spurious retransmissions") {
  Link link = transfer(LinkSettings{}, kFourMiB, 60'000'000);
  // One packet per full payload, plus the SYN and FIN; no retransmission on a clean link.
  const size_t packets = (kFourMiB + kUtpMaxPayload - 1) / kUtpMaxPayload;
  CHECK(link.side[0].datagrams_sent <= packets + 2);
  CHECK(link.side[1].max_advertised == uint32_t{1} << 20);
  CHECK(link.side[1].selective_acks_sent == 0);
  CHECK(link.now_us < 10'000'000);
}

TEST_CASE("utp connection: 4 MiB with 10% loss each way") {
  LinkSettings settings;
  settings.loss = 0.10;
  // Within two minutes of virtual time: late acks must not inflate the RTO to minutes.
  Link link = transfer(settings, kFourMiB, 120'000'000);
  CHECK(link.side[0].datagrams_sent > (kFourMiB / kUtpMaxPayload) * 105 / 100);
  CHECK(link.side[1].selective_acks_sent > 100);
}

TEST_CASE("utp connection: 4 MiB with heavy reordering") {
  LinkSettings settings;
  settings.jitter_us = 30'000;
  Link link = transfer(settings, kFourMiB, 300'000'000);
  CHECK(link.side[1].selective_acks_sent > 100);
}

TEST_CASE("utp connection: 4 MiB with 20% of datagrams duplicated") {
  LinkSettings settings;
  settings.duplicate = 0.20;
  settings.jitter_us = 2'000;
  transfer(settings, kFourMiB, 300'000'000);
}

TEST_CASE("utp connection: a tiny receive window bounds what is in flight") {
  LinkSettings settings;
  settings.config[1].receive_window = 4000;
  settings.jitter_us = 5'000;
  Link link = transfer(settings, size_t{1} << 20, 600'000'000);
  CHECK(link.side[1].max_advertised <= 4000);
  CHECK(link.max_in_flight <= 4000);
  CHECK(link.max_in_flight > 0);
}

// A 1 MB/s bottleneck (100 ms of queue is about 100 kB) with the clock starting at `start_us`:
// LEDBAT keeps the window near the target delay, and the link stays busy.
void check_ledbat(uint64_t start_us) {
  LinkSettings settings;
  settings.bytes_per_us = 1.0;
  settings.start_us = start_us;
  Link link = transfer(settings, kFourMiB, start_us + 60'000'000);
  CHECK(link.max_window < 300'000);
  CHECK(link.max_window > 20'000);
  // 4 MiB at 1 MB/s takes a little over 4.2 s when the link stays busy.
  CHECK(link.now_us - start_us < 6'000'000);
}

TEST_CASE("utp connection: LEDBAT keeps the window near the target delay at a bottleneck") {
  check_ledbat(0);
}

TEST_CASE("utp connection: LEDBAT across the wrap of the 32-bit microsecond timestamps") {
  check_ledbat(0xffffffffull - 2'000'000);
}

TEST_CASE("utp connection: the responder's first data connects the dialler when its STATE is lost") {
  Link link(LinkSettings{});
  link.drop_next[1] = 1;  // the STATE answering the SYN
  link.side[1].to_send = Bytes(3000, 9);
  link.connect();
  // Deliver the SYN, then let the acceptor write at once.
  REQUIRE(link.run([&] { return link.side[1].conn != nullptr; }, 1'000'000));
  CHECK(link.side[1].conn->state() == UtpState::SynReceived);
  REQUIRE(link.run([&] { return link.side[0].received.size() == 3000; }, 10'000'000));
  CHECK(link.side[0].connected);
  CHECK(link.side[0].conn->state() == UtpState::Connected);
  CHECK(link.side[1].conn->state() == UtpState::Connected);
  CHECK(link.now_us < 1'000'000);  // no SYN retransmission was needed
}

TEST_CASE("utp connection: sequence numbers and ids wrap past 65535") {
  LinkSettings settings;
  settings.first_seq[0] = 65500;
  settings.first_seq[1] = 65530;
  settings.receive_id = 0xffff;
  settings.loss = 0.05;
  Link link(settings);
  link.side[0].to_send = pattern(400'000, 1);
  link.side[1].to_send = pattern(400'000, 2);
  link.side[0].close_when_written = true;
  link.side[1].close_when_written = true;
  link.connect();
  CHECK(link.side[0].conn->send_id() == 0);
  const bool done = link.run([&] { return link.side[0].ended && link.side[1].ended; }, 600'000'000);
  REQUIRE(done);
  CHECK(link.side[1].conn->receive_id() == 0);
  CHECK(link.side[1].conn->send_id() == 0xffff);
  CHECK(link.side[1].received == link.side[0].to_send);
  CHECK(link.side[0].received == link.side[1].to_send);
}

TEST_CASE("utp connection: FIN both ways ends both streams and closes both connections") {
  Link link(LinkSettings{});
  link.side[0].to_send = Bytes{'h', 'e', 'l', 'l', 'o'};
  link.side[1].to_send = Bytes{'w', 'o', 'r', 'l', 'd'};
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].received.size() == 5; }, 10'000'000));
  CHECK(link.side[0].received == link.side[1].to_send);
  link.side[0].conn->close();
  REQUIRE(link.run([&] { return link.side[1].ended; }, 10'000'000));
  // Half-closed: the acceptor may still write until it closes too.
  CHECK(!link.side[0].ended);
  CHECK(link.side[0].conn->write(Bytes{'x'}) == 0);
  CHECK(link.side[1].conn->write(Bytes{'!'}) == 1);
  link.side[1].conn->close();
  REQUIRE(link.run([&] {
    return link.side[0].conn->state() == UtpState::Closed &&
           link.side[1].conn->state() == UtpState::Closed;
  }, 10'000'000));
  CHECK(link.side[0].ended);
  CHECK(link.side[0].received == Bytes{'w', 'o', 'r', 'l', 'd', '!'});
  CHECK(link.side[1].received == Bytes{'h', 'e', 'l', 'l', 'o'});
  CHECK(!link.side[0].error);
  CHECK(!link.side[1].error);
}

// Side 1 ends first and its FIN is acknowledged; returns once side 0 has its end.
Link half_closed_by_acceptor() {
  Link link(LinkSettings{});
  link.side[0].to_send = Bytes(3000, 5);
  link.side[1].to_send = Bytes(3000, 6);
  link.side[1].close_when_written = true;
  link.connect();
  REQUIRE(link.run([&] { return link.side[0].ended && link.side[1].received.size() == 3000; },
                   10'000'000));
  link.run([] { return false; }, link.now_us + 100'000);  // the last acks land
  return link;
}

TEST_CASE("utp connection: a closed connection lingers and acknowledges a FIN again") {
  Link link = half_closed_by_acceptor();
  // Side 0 ends last. The acknowledgement of its FIN is lost: side 1 resends the FIN.
  link.drop_next[1] = 1;
  link.side[0].conn->close();
  REQUIRE(link.run([&] { return link.side[1].conn->state() == UtpState::Closed; }, 10'000'000));
  const uint64_t side1_closed = link.now_us;
  REQUIRE(link.run([&] { return link.side[0].conn->state() == UtpState::Closed; }, 10'000'000));
  CHECK(link.now_us - side1_closed >= 900'000);  // one RTO: the FIN went again
  CHECK(!link.side[0].error);
  CHECK(!link.side[1].error);
  CHECK(link.side[1].received == link.side[0].to_send);
  // Side 1 re-acknowledged while lingering, then becomes finished.
  CHECK(!link.side[1].conn->finished(link.now_us));
  CHECK(!link.run([] { return false; }, link.now_us + 10'000'000));
  CHECK(link.side[1].conn->finished(link.now_us));
}

TEST_CASE("utp connection: only our FIN unacknowledged, a RESET or silence closes cleanly") {
  for (const bool reset : {true, false}) {
    CAPTURE(reset);
    Link link = half_closed_by_acceptor();
    link.silent[1] = true;  // the remote went away once our data was in
    link.side[0].conn->close();
    if (reset) {
      link.run([] { return false; }, link.now_us + 100'000);
      UtpPacket stray;
      stray.type = UtpType::Reset;
      stray.conn_id = link.side[0].conn->receive_id();
      link.side[0].conn->on_packet(stray, link.now_us);
    }
    REQUIRE(link.run([&] { return link.side[0].conn->state() != UtpState::Connected; }, 60'000'000));
    CHECK(link.side[0].conn->state() == UtpState::Closed);
    CHECK(!link.side[0].error);
    CHECK(link.side[0].received == link.side[1].to_send);
  }
}

TEST_CASE("utp connection: a RESET with our data unacknowledged still fails") {
  Link link = half_closed_by_acceptor();
  link.silent[1] = true;
  link.side[0].to_send.resize(6000, 5);  // more data, which the remote never acknowledges
  link.run([] { return false; }, link.now_us + 100'000);
  UtpPacket stray;
  stray.type = UtpType::Reset;
  stray.conn_id = link.side[0].conn->receive_id();
  link.side[0].conn->on_packet(stray, link.now_us);
  CHECK(link.side[0].conn->state() == UtpState::Failed);
  REQUIRE(link.side[0].error);
  CHECK(link.side[0].error->code() == Errc::Unavailable);
}

TEST_CASE("utp connection: a lost retransmission goes again after duplicate acks, not an RTO") {
  LinkSettings settings;
  Link link(settings);
  link.side[0].to_send = pattern(200'000, 3);
  link.side[0].close_when_written = true;
  link.drop_seq[0][static_cast<uint16_t>(settings.first_seq[0] + 30)] = 2;  // and its fast resend
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].ended; }, 10'000'000));
  CHECK(link.drop_seq[0].begin()->second == 0);
  CHECK(link.side[1].received == link.side[0].to_send);
  // An RTO (at least one second) would have come after; a third sending on duplicate acks
  // comes about one round trip (20 ms) after the second.
  CHECK(link.now_us < 900'000);
  CHECK(!link.side[0].error);
}

TEST_CASE("utp connection: a packet whose ack a later packet overtook still delivers its payload") {
  Link link(LinkSettings{});
  link.side[0].to_send = Bytes(3000, 8);
  link.side[1].to_send = Bytes(30'000, 9);
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].received.size() == 3000 && link.side[0].received.size() == 30'000; },
                   10'000'000));
  link.run([] { return false; }, link.now_us + 100'000);
  REQUIRE(link.last_data[0]);
  UtpPacket late = *link.last_data[0];
  late.seq_nr = static_cast<uint16_t>(late.seq_nr + 1);
  late.ack_nr = static_cast<uint16_t>(late.ack_nr - 15);  // side 1 sent 22 packets; this acks few
  late.payload = Bytes{'l', 'a', 't', 'e'};
  link.side[1].conn->on_packet(late, link.now_us);
  CHECK(link.side[1].received.size() == 3004);
  CHECK(link.side[1].conn->state() == UtpState::Connected);
  // One that acknowledges what was never sent is still dropped.
  UtpPacket spoofed = late;
  spoofed.seq_nr = static_cast<uint16_t>(late.seq_nr + 1);
  spoofed.ack_nr = static_cast<uint16_t>(late.ack_nr + 1000);
  link.side[1].conn->on_packet(spoofed, link.now_us);
  CHECK(link.side[1].received.size() == 3004);
}

TEST_CASE("utp connection: a RESET fails the remote with Unavailable") {
  Link link(LinkSettings{});
  link.side[0].to_send = Bytes(100, 1);
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].received.size() == 100; }, 10'000'000));
  link.side[1].conn->reset();
  CHECK(link.side[1].conn->state() == UtpState::Failed);
  REQUIRE(link.run([&] { return link.side[0].error.has_value(); }, 10'000'000));
  CHECK(link.side[0].error->code() == Errc::Unavailable);
  CHECK(link.side[0].conn->state() == UtpState::Failed);
  CHECK(!link.side[1].error);
  CHECK(link.side[0].conn->write(Bytes{1}) == 0);
}

TEST_CASE("utp connection: a peer that goes silent times out after libutp's consecutive RTOs") {
  Link link(LinkSettings{});
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].conn != nullptr && link.side[0].connected; }, 10'000'000));
  link.silent[1] = true;
  const uint64_t silent_from = link.now_us;
  link.side[0].to_send = Bytes(50'000, 3);
  REQUIRE(link.run([&] { return link.side[0].error.has_value(); }, 120'000'000));
  CHECK(link.side[0].error->code() == Errc::Timeout);
  // RTOs of 1, 2, 4, 8 and 16 s: the fifth expiry kills it.
  const uint64_t waited = link.now_us - silent_from;
  CHECK(waited >= 30'000'000);
  CHECK(waited <= 33'000'000);
}

TEST_CASE("utp connection: a SYN nobody answers times out after two retries") {
  Link link(LinkSettings{});
  link.silent[0] = true;
  link.connect();
  REQUIRE(link.run([&] { return link.side[0].error.has_value(); }, 120'000'000));
  CHECK(link.side[0].error->code() == Errc::Timeout);
  CHECK(!link.side[0].connected);
  CHECK(link.side[0].datagrams_sent == 3);  // the SYN and its two retransmissions
  CHECK(link.now_us >= 21'000'000);         // 3 + 6 + 12 s
  CHECK(link.now_us <= 21'100'000);
}

TEST_CASE("utp connection: an idle connection sends keepalives and stays up") {
  Link link(LinkSettings{});
  link.connect();
  REQUIRE(link.run([&] { return link.side[1].conn != nullptr && link.side[0].connected; }, 10'000'000));
  const size_t before = link.side[0].datagrams_sent;
  CHECK(!link.run([] { return false; }, 100'000'000));
  CHECK(link.side[0].datagrams_sent - before == 3);  // every 29 s
  CHECK(link.side[0].conn->state() == UtpState::Connected);
  CHECK(!link.side[0].error);
  CHECK(!link.side[1].error);
}

}  // namespace
}  // namespace hypermount::swarm
