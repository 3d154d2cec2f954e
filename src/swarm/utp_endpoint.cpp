#include "swarm/utp_endpoint.hpp"

namespace hypermount::swarm {

UtpEndpoint::UtpEndpoint(DatagramSink& sink, RandomSource random, UtpConfig config,
                         UtpAcceptHandler on_accept)
    : sink_(sink), random_(std::move(random)), config_(config), on_accept_(std::move(on_accept)) {}

uint16_t UtpEndpoint::random_u16() {
  uint8_t bytes[2];
  random_(bytes, sizeof bytes);
  return get_u16be(bytes);
}

UtpEvents UtpEndpoint::route(const Ipv4Address& to, UtpEvents events) {
  events.send = [this, to](Bytes datagram) { sink_.send(to, std::move(datagram)); };
  return events;
}

Result<UtpConnection*> UtpEndpoint::connect(const Ipv4Address& to, UtpEvents events,
                                            uint64_t now_us) {
  if (connections_.size() >= kUtpMaxConnections) {
    return Error::unavailable("utp connect to {}: {} connections open", to.to_string(),
                              connections_.size());
  }
  // The initiator receives on R and the responder on R + 1, so both must be free here.
  uint16_t receive_id = random_u16();
  while (connections_.contains(Key{to, receive_id}) ||
         connections_.contains(Key{to, static_cast<uint16_t>(receive_id + 1)})) {
    receive_id = random_u16();
  }
  auto conn = UtpConnection::connect(receive_id, random_u16(), config_, route(to, std::move(events)),
                                     now_us);
  UtpConnection* raw = conn.get();
  connections_.emplace(Key{to, receive_id}, std::move(conn));
  return raw;
}

UtpConnection* UtpEndpoint::find(const Ipv4Address& from, uint16_t receive_id) {
  auto it = connections_.find(Key{from, receive_id});
  return it == connections_.end() ? nullptr : it->second.get();
}

UtpConnection* UtpEndpoint::find_for_reset(const Ipv4Address& from, uint16_t conn_id) {
  // A RESET carries the sender's send id, which is our receive id, or (from a libutp peer
  // resetting what it never knew) our send id, one off our receive id either way.
  if (UtpConnection* conn = find(from, conn_id)) return conn;
  for (uint16_t receive_id : {static_cast<uint16_t>(conn_id + 1), static_cast<uint16_t>(conn_id - 1)}) {
    UtpConnection* conn = find(from, receive_id);
    if (conn && conn->send_id() == conn_id) return conn;
  }
  return nullptr;
}

void UtpEndpoint::send_reset(const Ipv4Address& to, const UtpPacket& stray) {
  UtpPacket reset;
  reset.type = UtpType::Reset;
  reset.conn_id = stray.conn_id;
  reset.seq_nr = random_u16();
  reset.ack_nr = stray.seq_nr;
  sink_.send(to, encode_utp_packet(reset));
}

void UtpEndpoint::accept(const Ipv4Address& from, const UtpPacket& syn, uint64_t now_us) {
  const uint16_t receive_id = static_cast<uint16_t>(syn.conn_id + 1);
  if (connections_.size() >= kUtpMaxConnections) {
    send_reset(from, syn);
    return;
  }
  // Nothing but the STATE leaves during accept, so the stream events can come afterwards.
  UtpEvents events{{}, [] {}, [](ByteView) {}, [] {}, [](const Error&) {}};
  auto conn = UtpConnection::accept(syn, random_u16(), config_, route(from, std::move(events)), now_us);
  if (!on_accept_(from, *conn)) {
    conn->reset();
    return;
  }
  connections_.emplace(Key{from, receive_id}, std::move(conn));
}

void UtpEndpoint::on_datagram(const Ipv4Address& from, ByteView datagram, uint64_t now_us) {
  auto packet = decode_utp_packet(datagram);
  if (!packet) return;
  if (packet->type == UtpType::Reset) {
    if (UtpConnection* conn = find_for_reset(from, packet->conn_id)) conn->on_packet(*packet, now_us);
    return;
  }
  if (packet->type == UtpType::Syn) {
    // A repeated SYN goes to the connection it made; a new one is accepted.
    if (UtpConnection* conn = find(from, static_cast<uint16_t>(packet->conn_id + 1))) {
      conn->on_packet(*packet, now_us);
    } else {
      accept(from, *packet, now_us);
    }
    return;
  }
  if (UtpConnection* conn = find(from, packet->conn_id)) {
    conn->on_packet(*packet, now_us);
  } else {
    send_reset(from, *packet);
  }
}

void UtpEndpoint::tick(uint64_t now_us) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    UtpConnection& conn = *it->second;
    conn.tick(now_us);
    if (conn.finished(now_us)) {
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hypermount::swarm
