// Per-peer, per-channel and per-core state of the Replicator, shared by its source files
// (replicator.cpp, replicator_transfer.cpp). Internal to src/wire; loop thread only.
#pragma once

#include "wire/extensions.hpp"
#include "wire/replicator.hpp"
#include "wire/request_window.hpp"

#include <string>

namespace hypermount::wire::detail {

// wire.md §7.1: Want regions are 1 MiB (in blocks) aligned.
constexpr uint64_t kWantRegion = 1048576;
// wire.md §7.2: Wants whose start or length are not multiples of this are ignored.
constexpr uint64_t kWantAlign = 8192;
// Block indices from peers above this are rejected (the reference uses doubles, < 2^53).
constexpr uint64_t kMaxBlockIndex = uint64_t{1} << 53;
// Decoded Have bitfields are capped (16 Mi blocks per message).
constexpr size_t kMaxHaveBitfieldBytes = size_t{2} << 20;
// Requests a peer may queue with us before it is treated as abusive.
constexpr size_t kMaxQueuedRequests = 4096;

// Keys in logs: a short hex prefix of the discovery key (style.md §7).
inline std::string short_key(const crypto::DiscoveryKey& key) {
  return to_hex(ByteView(key.data(), 4));
}

}  // namespace hypermount::wire::detail

namespace hypermount::wire {

// "HOST:PORT" of a TCP connection's remote, "stream" for a pipe (replicator_figures.cpp).
std::string peer_address(const Connection& connection);

struct Replicator::TimerBox {
  uv_timer_t timer;
  Replicator* owner = nullptr;
};

struct Replicator::Channel {
  CoreState* core = nullptr;
  crypto::DiscoveryKey discovery_key{};
  std::optional<uint32_t> local_id;
  bool remote_opened = false;
  bool started = false;
  bool downloading = false;
  bool remote_uploading = true;
  bool remote_downloading = true;
  bool remote_want = false;
  BlockRanges remote;
  std::set<uint64_t> remote_nodes;  // what the remote is known to have (hypercore.md §6.4)
  std::set<uint64_t> want_regions;  // Want regions sent (index = start / kWantRegion)
  size_t inflight = 0;
  RequestWindow window{1, 1};  // background requests in flight: set when the channel starts
  ExtensionNames extensions;  // feed extensions: ours (announced at start) and the peer's
  // The window held background requests back when they were last sent. Judged then, not per
  // reply: the replies one read brings are all taken before the window refills.
  bool window_full = false;
  std::deque<Request> requests;  // waiting to be served (write queue full)
  bool remote_ahead = false;  // the remote has blocks past our length of a core we write
};

struct Replicator::Peer {
  PeerId id = 0;
  std::unique_ptr<Connection> connection;
  std::map<crypto::DiscoveryKey, Channel> channels;
  bool closed = false;
  bool dropped = false;  // closed by drop_peer, which logged the reason
  bool dialled = false;  // we are the Noise initiator (the dialler)
  std::optional<crypto::DhPublicKey> remote_key;  // the remote's static key, once handshaken
  std::optional<ProtocolVersion> version;          // once handshaken
  std::string address;                             // as PeerFigures says
  uint64_t last_reply_ms = 0;  // loop time of the last Data that answered a request of ours
  std::optional<uint64_t> base_rtt_ms;  // the shortest time a request of ours took to come back
  bool handling_events = false;  // in on_session_events, which writes what it sent at its end
};

// A block received from a peer, waiting to be hashed (on libuv's thread pool when large) and
// then verified and stored on the loop, in arrival order (replicator_verify.cpp).
struct Replicator::ArrivedBlock {
  uv_work_t work{};
  Replicator* owner = nullptr;  // null once the replicator is gone: the block is dropped
  CoreState* core = nullptr;
  PeerId peer = 0;
  uint64_t index = 0;
  Bytes value;
  std::vector<core::Node> nodes;
  std::optional<crypto::Signature> signature;
  std::optional<core::Node> leaf;  // set once hashed
  bool in_pool = false;            // the thread pool owns it until its after-work callback
  // Verified, its bytes being written on the pool (large blocks): where, through which
  // descriptor (closed by the pool thread), and the errno if the write failed.
  uint64_t offset = 0;
  int fd = -1;
  int write_errno = 0;
  bool discard = false;            // its peer was dropped: not stored, whatever it holds
};

struct Replicator::CoreState {
  core::Core* core = nullptr;
  CoreOptions options;
  std::vector<std::string> extensions;  // feed extensions its channels announce
  ExtensionHandler on_extension;
  bool default_downloading = false;  // replicas download by default, writers do not
  bool heard_have = false;
  std::vector<Selection> selections;  // finished bounded ones are dropped by pump
  bool selected = false;  // download() was called: check_done may end the channels
  std::map<uint64_t, Inflight> inflight;
  std::map<uint64_t, std::vector<uint64_t>> get_blocks;  // block -> ids of its pending gets
  // Every block of get_blocks below this one is here or requested: pump starts from it. Set
  // back when a request ends without its block (a peer gone, a block discarded, a new get).
  uint64_t get_scan_from = 0;
  std::deque<ArrivedBlock*> arrived;   // received, not yet stored; owned as ArrivedBlock says
  std::set<uint64_t> arriving;         // their indices: not requested again meanwhile
  // Verified blocks whose bytes the pool is writing (present once written); owned by the pool.
  std::map<uint64_t, ArrivedBlock*> writing;
  // A verified block could not be written here (a full disk, an I/O error): downloads of this
  // core stop; the next get tries again.
  std::optional<Error> store_failure;
  // Blocks were stored since the core's last flush_stored (it is in unflushed_): the first one.
  std::optional<uint64_t> unflushed_from;
};

}  // namespace hypermount::wire
