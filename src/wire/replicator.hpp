// Hypercore replication over many connections and cores (wire.md §5-§7): channels, Want/Have,
// verified Request/Data, on-demand gets, ranges, live updates. Loop thread only.
#pragma once

#include "core/core.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/block_ranges.hpp"
#include "wire/stream_transport.hpp"

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace hypermount::wire {

struct ReplicatorOptions {
  // Applied to every connection (keep-alive, idle timeout, write queue bound). The session's
  // role and version are set per stream by add_stream; the static key is random per replicator.
  ConnectionOptions connection;
  // Requests outstanding and no Data from the peer for this long drops the peer; its requests go
  // to other peers (as the reference destroys the stream, wire.md §7.3). A peer that keeps
  // answering a long queue of requests is not dropped, however long the last one waits.
  uint64_t request_timeout_ms = 20000;
  // Background downloads (wire.md §7.3): each peer starts with this many requests in flight;
  // the window then follows the round trip (request_window.hpp), up to the maximum.
  size_t max_requests_per_peer = 16;
  size_t max_request_window = 1024;
  // Explicit gets: a fetch batch (a folder's trie nodes, a read-ahead) is sent at once, so that
  // it costs one round trip and not one per 32 blocks. The reference queues any number.
  size_t max_get_requests_per_peer = 512;
  // Both bounds above grow to this many bytes at the core's mean block size where that is more
  // requests: 7,000 trie nodes of 150 bytes (512 at a time held a 100 ms path to 2,500 nodes a
  // second); 64 KiB blocks keep the bounds above. Gets pass their floor only in step with the
  // peer's round trip (replicator_transfer.cpp): a JS peer's CPU per request grows with the
  // backlog we keep on it (serving a find of 100,000 nodes on loopback, 8 MiB at once cost it
  // 1.7x the CPU of 512 at a time).
  uint64_t max_request_bytes_per_peer = uint64_t{1} << 20;
};

struct CoreOptions {
  bool upload = true;
  // Keep channels open after everything selected is here, and follow the remote's appends for
  // an open-ended selection; also announce our appends (hypercore.md §8, "replication live").
  bool live = false;
  // Fetch the newest block whenever a peer has a longer log, so that the local length (and
  // with it a sparse drive's version) follows the writer without downloading everything.
  bool follow_head = false;
};

// Counters for tests and benchmarks.
struct ReplicatorStats {
  uint64_t blocks_downloaded = 0;
  uint64_t bytes_downloaded = 0;
  uint64_t blocks_uploaded = 0;
  uint64_t bytes_uploaded = 0;  // block bytes (not proofs or framing)
  uint64_t data_rejected = 0;  // Data that failed verification (the peer was dropped)
  uint64_t peers_dropped = 0;  // closed for a protocol error, bad data or a timeout
  uint64_t duplicates_closed = 0;  // connections closed as a second one to a remote, or to us
};

// One connected peer as `info` shows it.
struct PeerFigures {
  std::string address;      // "HOST:PORT" of a TCP peer; "stream" for a pipe (stdio)
  std::string transport;    // "tcp" or "pipe"
  std::optional<ProtocolVersion> version;  // V7 or V8 once the handshake is done
  uint64_t bytes_sent = 0;  // on the connection, framing and encryption included
  uint64_t bytes_received = 0;
  uint64_t writes = 0;  // writes handed to the socket (the replies to one read go in one)
  // Cores written here of which the peer says it has blocks past our length: they were
  // written from another store too (a core must be written by one store only).
  std::vector<crypto::DiscoveryKey> ahead;
};

class Replicator : public ConnectionHandler {
 public:
  using GetCallback = std::function<void(Result<Bytes>)>;
  using PeerId = uint64_t;

  explicit Replicator(uv_loop_t* loop, ReplicatorOptions options = {});
  // Closes every connection; pending gets are not called back.
  ~Replicator() override;
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  uv_loop_t* loop() const { return loop_; }

  // Replicates `core` with every current and future peer. Borrowed: it must outlive the
  // replicator. Error::exists if a core with that discovery key is already added.
  Status add_core(core::Core& core, CoreOptions options);

  // Runs a session over a connected stream (this side's Noise role and protocol version);
  // opens a channel for every added core.
  Result<PeerId> add_stream(StreamHandle stream, crypto::NoiseRole role, ProtocolVersion version);
  // The same over a read stream and a separate write stream (standard input and output, or two
  // one-way pipes).
  Result<PeerId> add_stream(StreamHandle read_stream, StreamHandle write_stream,
                            crypto::NoiseRole role, ProtocolVersion version);
  // The same over any byte stream (a uTP connection).
  Result<PeerId> add_stream(std::unique_ptr<ByteStream> stream, crypto::NoiseRole role,
                            ProtocolVersion version);

  // On demand: calls back with the verified block once it is here (posted through the loop if
  // it already is), or with Error Cancelled after cancel_get. Never times out on its own.
  Result<uint64_t> get(core::Core& core, uint64_t block, GetCallback callback);
  // Many blocks of one core on demand, one get each with one callback between them (a fetch
  // batch of 100,000 trie nodes spent a sixth of the mount's CPU on a callback and its
  // bookkeeping per block). Blocks already here are left out (`waiting` counts the others).
  // `arrived(block, {})` runs for each of the others once it is here, or `arrived(block, error)`
  // once when the core stops storing, which ends the group. cancel_get(id) ends it too, and
  // nothing more is called.
  using GroupCallback = std::function<void(uint64_t block, const Status& status)>;
  struct GroupGet {
    uint64_t id = 0;
    size_t waiting = 0;
  };
  Result<GroupGet> get_group(core::Core& core, const std::vector<uint64_t>& blocks, GroupCallback arrived);
  // What handles a feed extension message from a peer: the peer's id, the name, the payload.
  using ExtensionHandler = std::function<void(PeerId peer, const std::string& name, ByteView payload)>;
  // Announces feed extensions `names` on the channels of `core` (added) that start from now on
  // (Options, wire.md §7.1); `handler` gets the peers' messages of those names.
  Status set_extensions(const core::Core& core, std::vector<std::string> names, ExtensionHandler handler);
  // Sends `payload` as feed extension `name` (one of the core's set_extensions) to
  // `peer` on the core's channel; NotFound when there is no such started channel.
  Status send_extension(const core::Core& core, PeerId peer, const std::string& name, Bytes payload);
  // Sends `payload` as feed extension `name` to every peer whose started channel of `core`
  // announced it too; returns to how many.
  size_t broadcast_extension(const core::Core& core, const std::string& name, const Bytes& payload);
  // Ends a get (its callback gets Error Cancelled) or a group of gets (nothing more is called).
  void cancel_get(uint64_t get_id);

  // Selects blocks [start, end) for download; no end means the whole log, and with a live core
  // everything appended later as well.
  Status download(core::Core& core, uint64_t start, std::optional<uint64_t> end);
  // True when every selected block is here (an open-ended selection needs a peer's length
  // first) and no get is waiting.
  bool done(const core::Core& core) const;
  // Why downloads of `core` stopped: a verified block could not be stored locally (the peer is
  // not to blame and stays connected). nullopt while they go on.
  std::optional<Error> store_failure(const core::Core& core) const;

  // Tells peers about blocks appended locally since `old_length` (Have to every peer that sent
  // a Want, wire.md §7.2). A core added live with upload does it by itself on each append.
  void announce_appended(core::Core& core, uint64_t old_length);

  // Asked for a core when a peer opens a channel for a discovery key not added here (a
  // corestore serving whatever it stores); nullptr refuses it. The core must outlive the
  // replicator; it is added with upload and live on.
  using CoreProvider = std::function<core::Core*(const crypto::DiscoveryKey&)>;
  void set_core_provider(CoreProvider provider) { core_provider_ = std::move(provider); }

  // Runs after any change worth re-checking (a block stored, a peer added or gone). It may
  // stop the loop or call into the replicator, but not destroy it.
  void set_on_change(std::function<void()> callback) { on_change_ = std::move(callback); }
  const std::function<void()>& on_change() const { return on_change_; }

  size_t peer_count() const { return peers_.size(); }
  // replicator_figures.cpp: the connected peers, in the order they were added.
  std::vector<PeerFigures> peer_figures() const;
  // Whether the peer added as `id` is still connected.
  bool has_peer(PeerId id) const;
  // Connections are deduplicated by the remote's Noise static key after the handshake, as
  // hyperswarm 2 does (swarm.md §8): a connection to ourselves is closed, and of two to the same
  // remote the one dialled by the side with the smaller key is kept, which both sides agree on.
  // What became of a peer closed that way: the peer kept instead, or Self.
  enum class Deduplicated { Self };
  std::optional<std::variant<PeerId, Deduplicated>> deduplicated(PeerId id) const;
  const crypto::DhPublicKey& static_public_key() const { return static_key_.public_key; }
  const ReplicatorStats& stats() const { return stats_; }
  // Gets waiting for their block (not yet called back or cancelled).
  size_t pending_gets() const { return gets_.size() + group_blocks_; }
  // Requests sent (or about to leave) and not yet answered, over every core and peer.
  size_t requests_in_flight() const;
  // Closes every connection now.
  void close_all();

  // ConnectionHandler.
  void on_session_events(Connection& connection) override;
  void on_drained(Connection& connection) override;
  void on_closed(Connection& connection, const Error& reason) override;

 private:
  struct Peer;
  struct Channel;
  struct CoreState;
  // The events of one read; what they send is written at the end of on_session_events.
  void handle_events(Peer* peer, Connection& connection);
  struct Selection {
    uint64_t start = 0;
    std::optional<uint64_t> end;
    uint64_t next = 0;  // every block in [start, next) is present
    // Every block in [next, scan_from) is present or requested: pump starts from here. Set back
    // as CoreState::get_scan_from is (rescan_from).
    uint64_t scan_from = 0;
  };
  struct Inflight {
    Peer* peer = nullptr;
    uint64_t sent_ms = 0;
    bool for_get = false;  // an explicit get (outside the request window)
  };
  struct ArrivedBlock;
  struct PendingGet {
    CoreState* core = nullptr;
    uint64_t block = 0;
    GetCallback callback;
  };
  struct PendingGroup {
    CoreState* core = nullptr;
    std::vector<uint64_t> blocks;  // not here when asked for: each in get_blocks until it is
    size_t remaining = 0;
    // Shared with a call in progress, which may cancel the group it belongs to.
    std::shared_ptr<GroupCallback> arrived;
  };

  CoreState* find_core(const core::Core& core) const;
  CoreState* find_core(const crypto::DiscoveryKey& discovery_key) const;
  Peer* find_peer(const Connection& connection) const;
  ConnectionOptions connection_options(crypto::NoiseRole role, ProtocolVersion version) const;
  Result<PeerId> add_connection(std::unique_ptr<Connection> connection, crypto::NoiseRole role,
                                ProtocolVersion version);

  void open_channel(Peer& peer, CoreState& core);
  void start_channel(Peer& peer, Channel& channel);
  void handle_message(Peer& peer, Channel& channel, Message& message);
  void on_have(Peer& peer, Channel& channel, const Have& have);
  void on_want(Peer& peer, Channel& channel, const Want& want);
  void on_data(Peer& peer, Channel& channel, Data& data);
  // replicator_verify.cpp: hashing off the loop, then verifying and storing in arrival order.
  void receive_block(std::unique_ptr<ArrivedBlock> block);
  static void on_block_hashed(uv_work_t* work, int status);
  void store_arrived(CoreState& core);
  void store_block(std::unique_ptr<ArrivedBlock> block);
  // A large block's bytes go to the data file on the pool once it is verified; then stored().
  bool write_in_pool(std::unique_ptr<ArrivedBlock>& block, uint64_t offset);
  static void on_block_written(uv_work_t* work, int status);
  // The bookkeeping of a block just made present: counters, haves, flush, gets.
  void stored(ArrivedBlock& block);
  // A verified block could not be written locally: log it once, stop downloading the core, and
  // fail its gets with the cause.
  void stop_storing(CoreState& state, uint64_t index, const Error& cause);
  bool requested(const CoreState& core, uint64_t block) const;
  void serve_requests(Peer& peer);
  // replicator_figures.cpp: warns once per channel when a peer has more of a core we write.
  void check_ahead(Peer& peer, Channel& channel);
  void on_remote_status(Peer& peer, Channel& channel, const StatusMessage& status);
  void on_channel_closed(Peer& peer, const crypto::DiscoveryKey& discovery_key);
  // replicator_dedup.cpp: after `peer`'s handshake with `remote_key`; false if it was closed.
  bool keep_after_handshake(Peer& peer, const crypto::DhPublicKey& remote_key);
  void maybe_end_channel(Peer& peer, Channel& channel);
  void close_channel(Peer& peer, Channel& channel);
  void check_done(CoreState& core);
  void follow_head(CoreState& core);
  // A get or group for a core that stopped storing: it tries storing again.
  void asked_again(CoreState& core);
  // Takes get `get_id` off the ones waiting for `block`.
  static void forget_get(CoreState& core, uint64_t block, uint64_t get_id);
  // Sends Want for the 1 MiB regions of [start, end) not yet wanted on the core's channels.
  void want_regions(CoreState& core, uint64_t start, uint64_t end);
  void want_regions_on(Peer& peer, Channel& channel, uint64_t start, uint64_t end);

  void send(Peer& peer, uint32_t local_id, const Message& message);
  void drop_peer(Peer& peer, Error reason);
  void release_requests(Peer& peer, CoreState* only = nullptr);
  void pump(CoreState& core);
  // A request of `block` (or of any block from it on) ended without the block: gets and
  // selections look again from there.
  static void rescan_from(CoreState& core, uint64_t block);
  void pump_all();
  // Posts one pump_all for however many calls come before it runs (a fetch of 100,000 blocks
  // posted 100,000).
  void pump_soon();
  enum class RequestOutcome { Sent, NobodyHasIt, AllBusy };
  RequestOutcome request_block(CoreState& core, uint64_t block, bool for_get);
  // Requests in flight one peer may have for `core`: `by_count`, or max_request_bytes_per_peer
  // at the core's mean block size when that is more.
  size_t in_flight_bound(const core::Core& core, size_t by_count) const;
  uint64_t known_length(const CoreState& core) const;
  // Answers the gets of a block just stored with its verified bytes (moved to the last one).
  void resolve_gets(CoreState& core, uint64_t block, Bytes value);
  // Writes out what the cores stored since the last time, held bytes and nodes, then bitfield
  // pages (posted by the first block stored after it, so a burst of arrivals costs few writes).
  void flush_stored();
  void post(std::function<void()> task);
  void run_posted();
  void check_timeouts();
  void changed();

  static void on_post_timer(uv_timer_t* timer);
  static void on_tick_timer(uv_timer_t* timer);

  uv_loop_t* loop_;
  ReplicatorOptions options_;
  crypto::DhKeyPair static_key_;
  std::vector<std::unique_ptr<CoreState>> cores_;
  std::vector<CoreState*> unflushed_;  // cores with unflushed_from set
  std::map<PeerId, std::unique_ptr<Peer>> peers_;
  std::vector<std::unique_ptr<Peer>> retired_;
  // Peers closed by deduplication, newest kept up to kMaxDeduplicated (for deduplicated()).
  static constexpr size_t kMaxDeduplicated = 1024;
  // Replies held back while the events of one read are handled, at most (then written).
  static constexpr size_t kReplyWriteBytes = 256 * 1024;
  std::map<PeerId, std::variant<PeerId, Deduplicated>> deduplicated_;
  std::map<uint64_t, PendingGet> gets_;
  std::map<uint64_t, PendingGroup> groups_;  // by get id (the ids of gets and groups never meet)
  size_t group_blocks_ = 0;  // blocks the groups wait for
  std::deque<std::function<void()>> posted_;
  struct TimerBox;
  TimerBox* post_timer_ = nullptr;
  TimerBox* tick_timer_ = nullptr;
  std::function<void()> on_change_;
  CoreProvider core_provider_;
  ReplicatorStats stats_;
  PeerId next_peer_id_ = 1;
  uint64_t next_get_id_ = 1;
  bool in_pump_ = false;
  bool pump_posted_ = false;
};

}  // namespace hypermount::wire
