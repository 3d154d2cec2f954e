// LAN discovery as hyperswarm 2 does it (spec swarm.md §5-6): one UDP socket on port 5353 in
// the group 224.0.0.251; topics looked up are queried now and every 30-60 s, topics announced
// answer queries (and say so once unasked). Loop thread only.
#pragma once

#include "swarm/mdns_message.hpp"
#include "util/result.hpp"

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace hypermount::swarm {

struct MdnsOptions {
  // The IPv4 address of the interface to multicast on and to join the group on; empty: every
  // interface's first IPv4 address (multicast-dns's default). Tests pin it to 127.0.0.1.
  std::string interface;
  uint16_t port = 5353;
};

class Mdns {
 public:
  using Topic = ByteArray<32>;
  // host "a.b.c.d" and port of a peer found for a looked-up topic (duplicates included).
  using OnPeer = std::function<void(const Topic& topic, const std::string& host, uint16_t port)>;

  static Result<std::unique_ptr<Mdns>> start(uv_loop_t* loop, MdnsOptions options, OnPeer on_peer);
  ~Mdns();
  Mdns(const Mdns&) = delete;
  Mdns& operator=(const Mdns&) = delete;

  // Answers queries for `topic` with our TCP `port` (sent once unasked now, too).
  void announce(const Topic& topic, uint16_t port);
  // Queries for `topic` now and every 30-60 s; answers reach on_peer.
  void lookup(const Topic& topic);
  void leave(const Topic& topic);

  // Packets sent and received (tests, logs).
  uint64_t sent() const { return sent_; }
  uint64_t received() const { return received_; }

 private:
  struct Joined {
    std::string name;          // <40 hex>.hyperswarm.local
    Bytes id;                  // "id=" + 32 random bytes: our answers, to ignore them
    std::optional<uint16_t> announce_port;
    bool lookup = false;
    uint64_t next_query = 0;   // loop time (ms)
  };
  Mdns(uv_loop_t* loop, OnPeer on_peer);
  Joined& join(const Topic& topic);
  void send(const DnsPacket& packet);
  void on_packet(ByteView data, const sockaddr_in& from);
  DnsPacket response_for(const Joined& joined) const;
  void tick();

  uv_loop_t* loop_;
  OnPeer on_peer_;
  uv_udp_t* socket_ = nullptr;    // freed in its close callback
  uv_timer_t* timer_ = nullptr;   // freed in its close callback
  sockaddr_in group_{};
  std::map<Topic, Joined> topics_;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
};

}  // namespace hypermount::swarm
