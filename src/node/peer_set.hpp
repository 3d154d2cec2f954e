// The connections of a node, from every source: peers it was given (HOST:PORT, `peer=` /
// `--peer`, redialled once lost), peers found (discovery: retried with backoff, then forgotten),
// peers accepted on a listening port, standard input/output. One connection per remote: see
// wire::Replicator::deduplicated.
#pragma once

#include "swarm/dht_socket.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <uv.h>

#include <array>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::node {

class PeerSet {
 public:
  // Runs after each stream joins, with its transport ("tcp", "pipe" or "utp").
  using OnConnect = std::function<void(const std::string& transport)>;
  // The loop and the replicator must outlive the set.
  PeerSet(uv_loop_t* loop, wire::Replicator& replicator, wire::ProtocolVersion protocol,
          OnConnect on_connect);
  ~PeerSet();
  PeerSet(const PeerSet&) = delete;
  PeerSet& operator=(const PeerSet&) = delete;

  // Dials every address (HOST:PORT) at once; InvalidArgument for an address that is not one.
  Status dial_all(const std::vector<std::string>& addresses);
  // Accepts connections on HOST:PORT (port 0: one the system picks) as Noise responder of
  // protocol `version`, while fewer than kMaxConnections are open; returns the port. Until
  // close().
  Result<uint16_t> listen(std::string_view address, wire::ProtocolVersion version);
  // Accepts uTP connections on `socket` (which must outlive the set, or be closed before it) as
  // Noise responder of protocol `version`, while fewer than kMaxConnections are open.
  void accept_utp(swarm::DhtSocket& socket, wire::ProtocolVersion version);
  // Replicates with one peer over standard input and output (wire::take_stdio: process-wide,
  // at most once), as `role` of protocol `version`.
  Status attach_stdio(crypto::NoiseRole role, wire::ProtocolVersion version);
  // A peer discovery found (DHT, LAN): dialled unless already known, at most kMaxPeers
  // connected or dialling at once. As hyperswarm 2 does, a failed or lost one is dialled again
  // after kFoundBackoffMs[0], [1], [2], then forgotten (a later discovery may add it again).
  // With a referrer (the DHT node that named it) and a uTP socket (accept_utp), a dial also
  // punches a hole through the referrer and connects over uTP; the first connection wins and the
  // other is dropped (swarm.md §8).
  void add_found(const std::string& address, std::optional<swarm::Ipv4Address> referrer = std::nullopt);
  // While discovering, await_a_peer waits for found peers until its deadline even when
  // nothing is being dialled yet.
  void set_discovering(bool on) { discovering_ = on; }
  // Found peers known now (connected, dialling or waiting to be retried).
  size_t found_count() const;
  // Tests shorten the backoff.
  void set_found_backoff_ms(std::array<uint64_t, 3> backoff) { found_backoff_ms_ = backoff; }

  // Runs the loop until one peer is connected or every dial has ended (at most `timeout_ms`);
  // Unavailable naming each peer's failure if none could be reached.
  Status await_a_peer(uint64_t timeout_ms);
  bool any_connected() const;
  // From now on, dials again every kRedialMs each peer whose connection failed or is gone, so
  // that a long-running user (a mount) recovers when peers return. Until close().
  void keep_connected();
  // Stops redialling and listening, and closes every peer connection.
  void close();

  static constexpr uint64_t kRedialMs = 2000;
  static constexpr size_t kMaxPeers = 24;         // found peers connected or dialling
  static constexpr size_t kMaxConnections = 128;  // all connections, accepted ones included
  static constexpr std::array<uint64_t, 3> kFoundBackoffMs{1000, 5000, 15000};
  static constexpr uint64_t kDialTimeoutMs = 10000;  // hyperswarm 2's connect timeout

 private:
  struct Slot {
    Slot(uint64_t serial, std::string at, bool from_discovery) : serial(serial), address(std::move(at)), found(from_discovery) {}
    uint64_t serial;      // names the slot to dial callbacks (slots come and go while they run)
    std::string address;  // HOST:PORT
    std::optional<wire::Replicator::PeerId> id;  // while connected
    bool dialing = false;
    uint64_t attempt = 0;        // counts dials; a callback of an earlier one is ignored
    uint64_t dial_deadline = 0;  // loop time (ms) at which the dial under way is given up
    std::string failure;  // why the last dial failed
    bool found = false;    // from discovery: retried with backoff, then forgotten
    int retries = 0;       // found: dials since the first that failed or were lost
    uint64_t retry_at = 0; // found: loop time (ms) of the next dial, 0 while none is due
    std::optional<swarm::Ipv4Address> referrer;  // found on the DHT: punch through it too
    int legs = 0;  // connects under way for the dial (TCP, and uTP after a hole punch)
    std::function<void()> cancel_tcp;  // gives up the dial's TCP connect while it is under way
  };

  Slot& add_slot(std::string address, bool found);
  // The slot `serial` if its dial `attempt` is still the one under way.
  Slot* dialing_slot(uint64_t serial, uint64_t attempt);
  // Dials that outlived kDialTimeoutMs fail.
  void expire_dials();
  Status dial(Slot& slot);
  // The hole punch and uTP connect of a dial, beside its TCP connect.
  void punch(Slot& slot, uint64_t attempt);
  // A connect of the dial under way failed: the dial fails once none is left.
  void leg_failed(Slot& slot, std::string why);
  // A connect of the dial under way succeeded: the stream joins the replicator.
  void dialled(Slot& slot, std::unique_ptr<wire::ByteStream> stream, const std::string& transport);
  void redial_lost();
  // Found slots whose connection failed or went away: schedule their retry, or forget them.
  void retry_found();
  void start_timer();
  size_t busy_count() const;
  // Whether the slot's peer is connected: through its own connection, or through the one kept
  // when its own was closed as a duplicate (so it is not redialled while that one lives).
  bool connected(const Slot& slot) const;
  // The slot's address turned out to be this process: never dialled again, and kept so that
  // discovery naming it again does not add it.
  bool ourselves(const Slot& slot) const;
  bool any_dialing() const;

  uv_loop_t* loop_;
  wire::Replicator& replicator_;
  wire::ProtocolVersion protocol_;
  OnConnect on_connect_;
  std::list<Slot> slots_;  // a list: a dial's callback holds its slot
  std::unique_ptr<wire::TcpListener> listener_;
  swarm::DhtSocket* utp_socket_ = nullptr;  // accepting uTP on it, while utp_socket_alive_ lasts
  std::weak_ptr<bool> utp_socket_alive_;
  uv_timer_t* redial_timer_ = nullptr;  // freed in its close callback
  bool redial_static_ = false;           // keep_connected() was called
  bool discovering_ = false;
  uint64_t next_static_redial_ms_ = 0;  // loop time of the next redial of lost static peers
  std::array<uint64_t, 3> found_backoff_ms_ = kFoundBackoffMs;
  bool closed_ = false;
  uint64_t next_serial_ = 0;
  // Dials finish after the set may be gone (a command ends while one is under way): their
  // callbacks hold this and do nothing once it has expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hypermount::node
