#include "swarm/mdns.hpp"

#include "crypto/keys.hpp"
#include "util/log.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <random>

namespace hypermount::swarm {

namespace {
constexpr uint64_t kTickMs = 1000;
constexpr uint64_t kQueryMinMs = 30000;
constexpr uint64_t kQueryMaxMs = 60000;
const std::string kIdPrefix = "id=";

uint64_t random_between(uint64_t low, uint64_t high) {
  static std::minstd_rand random{std::random_device{}()};
  return low + random() % (high - low + 1);
}
}  // namespace

Mdns::Mdns(uv_loop_t* loop, OnPeer on_peer) : loop_(loop), on_peer_(std::move(on_peer)) {}

Result<std::unique_ptr<Mdns>> Mdns::start(uv_loop_t* loop, MdnsOptions options, OnPeer on_peer) {
  std::unique_ptr<Mdns> self(new Mdns(loop, std::move(on_peer)));
  uv_ip4_addr("224.0.0.251", options.port, &self->group_);
  self->socket_ = new uv_udp_t;
  uv_udp_init(loop, self->socket_);
  self->socket_->data = self.get();
  sockaddr_in any{};
  uv_ip4_addr("0.0.0.0", options.port, &any);
  // Several processes share the port (multicast-dns binds it with SO_REUSEADDR too).
  int rc = uv_udp_bind(self->socket_, reinterpret_cast<const sockaddr*>(&any), UV_UDP_REUSEADDR);
  if (rc != 0) return Error::io(-rc, "binding the mDNS socket to port {}", options.port);
  std::vector<std::string> interfaces;
  if (!options.interface.empty()) {
    interfaces.push_back(options.interface);
  } else {
    uv_interface_address_t* list = nullptr;
    int count = 0;
    if (uv_interface_addresses(&list, &count) == 0) {
      for (int i = 0; i < count; ++i) {
        if (list[i].address.address4.sin_family != AF_INET) continue;
        char text[INET_ADDRSTRLEN];
        uv_ip4_name(&list[i].address.address4, text, sizeof text);
        interfaces.push_back(text);
      }
      uv_free_interface_addresses(list, count);
    }
  }
  bool joined = false;
  for (const std::string& at : interfaces) {
    if (uv_udp_set_membership(self->socket_, "224.0.0.251", at.c_str(), UV_JOIN_GROUP) == 0) joined = true;
  }
  if (!joined) return Error::io(EADDRNOTAVAIL, "joining the mDNS group on {}", options.interface.empty() ? "any interface" : options.interface);
  if (!options.interface.empty()) {
    rc = uv_udp_set_multicast_interface(self->socket_, options.interface.c_str());
    if (rc != 0) return Error::io(-rc, "multicasting mDNS on {}", options.interface);
  }
  uv_udp_set_multicast_loop(self->socket_, 1);
  uv_udp_set_multicast_ttl(self->socket_, 255);
  rc = uv_udp_recv_start(
      self->socket_,
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        static char storage[kMaxDnsPacket];
        (void)h;
        *buf = uv_buf_init(storage, sizeof storage);
      },
      [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        if (n <= 0 || from == nullptr || from->sa_family != AF_INET) return;
        static_cast<Mdns*>(h->data)->on_packet(ByteView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n)),
                                               *reinterpret_cast<const sockaddr_in*>(from));
      });
  if (rc != 0) return Error::io(-rc, "receiving mDNS");
  self->timer_ = new uv_timer_t;
  uv_timer_init(loop, self->timer_);
  self->timer_->data = self.get();
  uv_timer_start(self->timer_, [](uv_timer_t* t) { static_cast<Mdns*>(t->data)->tick(); }, kTickMs, kTickMs);
  return self;
}

Mdns::~Mdns() {
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  if (socket_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(socket_), [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
  }
}

Mdns::Joined& Mdns::join(const Topic& topic) {
  Joined& joined = topics_[topic];
  if (joined.name.empty()) {
    joined.name = mdns_name(topic);
    joined.id = Bytes(kIdPrefix.begin(), kIdPrefix.end());
    joined.id.resize(kIdPrefix.size() + 32);
    crypto::random_bytes(joined.id.data() + kIdPrefix.size(), 32);
  }
  return joined;
}

void Mdns::announce(const Topic& topic, uint16_t port) {
  Joined& joined = join(topic);
  joined.announce_port = port;
  send(response_for(joined));  // unasked, so that others' lookups are quick
}

void Mdns::lookup(const Topic& topic) {
  Joined& joined = join(topic);
  joined.lookup = true;
  joined.next_query = 0;
  tick();
}

void Mdns::leave(const Topic& topic) { topics_.erase(topic); }

DnsPacket Mdns::response_for(const Joined& joined) const {
  DnsPacket packet;
  packet.response = true;
  DnsRecord srv;
  srv.name = joined.name;
  srv.type = kDnsTypeSrv;
  srv.port = *joined.announce_port;
  srv.target = "0.0.0.0";  // "the packet's source address"
  DnsRecord txt;
  txt.name = joined.name;
  txt.type = kDnsTypeTxt;
  txt.texts.push_back(joined.id);
  packet.answers = {srv, txt};
  return packet;
}

void Mdns::tick() {
  const uint64_t now = uv_now(loop_);
  for (auto& [topic, joined] : topics_) {
    if (!joined.lookup || now < joined.next_query) continue;
    joined.next_query = now + random_between(kQueryMinMs, kQueryMaxMs);
    DnsPacket query;
    query.questions.push_back({joined.name, kDnsTypeSrv});
    send(query);
  }
}

void Mdns::send(const DnsPacket& packet) {
  struct Send {
    uv_udp_send_t request;
    Bytes bytes;
  };
  auto* s = new Send{{}, encode_dns(packet)};
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(s->bytes.data()), static_cast<unsigned>(s->bytes.size()));
  int rc = uv_udp_send(&s->request, socket_, &buf, 1, reinterpret_cast<const sockaddr*>(&group_),
                       [](uv_udp_send_t* r, int status) {
                         if (status != 0) log::debug("swarm", "mDNS send: {}", uv_strerror(status));
                         delete reinterpret_cast<Send*>(r);
                       });
  if (rc != 0) {
    log::debug("swarm", "mDNS send: {}", uv_strerror(rc));
    delete s;
    return;
  }
  ++sent_;
}

void Mdns::on_packet(ByteView data, const sockaddr_in& from) {
  auto packet = decode_dns(data);
  if (!packet) return;  // not DNS, or malformed: dropped
  ++received_;
  if (!packet->response) {
    for (const DnsQuestion& q : packet->questions) {
      if (q.type != kDnsTypeSrv) continue;
      for (const auto& [topic, joined] : topics_) {
        if (joined.name != q.name || !joined.announce_port) continue;
        DnsPacket answer = response_for(joined);
        DnsRecord referrer;
        referrer.name = "referrer.hyperswarm.local";
        referrer.type = kDnsTypeA;
        std::memcpy(referrer.address.data(), &from.sin_addr.s_addr, 4);
        answer.answers.push_back(referrer);
        send(answer);
      }
    }
    return;
  }
  for (const DnsRecord& srv : packet->answers) {
    if (srv.type != kDnsTypeSrv || srv.port == 0) continue;
    for (const auto& [topic, joined] : topics_) {
      if (joined.name != srv.name || !joined.lookup) continue;
      bool ours = false;
      for (const DnsRecord& txt : packet->answers) {
        if (txt.type != kDnsTypeTxt || txt.name != srv.name) continue;
        for (const Bytes& text : txt.texts) ours = ours || text == joined.id;
      }
      if (ours) continue;
      // "0.0.0.0" stands for the sender; any other target must be a dotted IPv4 (no lookups).
      char host[INET_ADDRSTRLEN];
      uv_ip4_name(&from, host, sizeof host);
      in_addr parsed{};
      if (srv.target != "0.0.0.0" && inet_pton(AF_INET, srv.target.c_str(), &parsed) != 1) continue;
      on_peer_(topic, srv.target == "0.0.0.0" ? std::string(host) : srv.target, srv.port);
    }
  }
}

}  // namespace hypermount::swarm
