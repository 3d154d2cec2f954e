// Replication benchmark: full clone of a core (default 256 MiB in 64 KiB blocks) over TCP
// loopback, our node to our node (server on its own thread and loop), in MB/s; then the latency
// of single sparse block gets over an established connection, in ms.
// Usage: replicate_bench [MIB] [BLOCK_KIB]
#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <fmt/format.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

using namespace hypermount;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what) {
  fmt::print(stderr, "replicate_bench: {}\n", what);
  std::exit(1);
}

// The uploader: its own loop on its own thread, stopped through an async handle.
struct Server {
  uv_loop_t loop{};
  uv_async_t stop{};
  std::unique_ptr<wire::Replicator> replicator;
  std::unique_ptr<wire::TcpListener> listener;
  std::thread thread;
  uint16_t port = 0;

  explicit Server(core::Core& core) {
    uv_loop_init(&loop);
    uv_async_init(&loop, &stop, [](uv_async_t* a) {
      auto* self = static_cast<Server*>(a->data);
      self->replicator->close_all();
      self->listener.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    stop.data = this;
    replicator = std::make_unique<wire::Replicator>(&loop);
    if (!replicator->add_core(core, {.upload = true, .live = true})) die("add_core");
    auto address = wire::parse_host_port("127.0.0.1:0");
    auto l = wire::TcpListener::listen(&loop, *address, [this](wire::StreamHandle s) {
      auto added = replicator->add_stream(std::move(s), crypto::NoiseRole::Responder,
                                          wire::ProtocolVersion::V8);
      if (!added) die(added.error().to_string());
    });
    if (!l) die(l.error().to_string());
    listener = std::move(*l);
    port = listener->port();
    thread = std::thread([this] {
      uv_run(&loop, UV_RUN_DEFAULT);
      replicator.reset();
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
    });
  }
  ~Server() {
    uv_async_send(&stop);
    thread.join();
  }
};

// Runs `loop` until pred() or the deadline.
bool run_until(uv_loop_t* loop, const std::function<bool()>& pred, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    uv_run(loop, UV_RUN_ONCE);
  }
  return true;
}

void dial(uv_loop_t* loop, wire::Replicator& client, uint16_t port) {
  auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", port));
  auto dialed = wire::dial_tcp(loop, *target, [&client](Result<wire::StreamHandle> s) {
    if (!s) die(s.error().to_string());
    if (!client.add_stream(std::move(*s), crypto::NoiseRole::Initiator, wire::ProtocolVersion::Auto)) {
      die("add_stream");
    }
  });
  if (!dialed) die(dialed.error().to_string());
}

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::init()) die("libsodium");
  uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
  uint64_t block_kib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 64;
  uint64_t block_size = block_kib * 1024;
  uint64_t blocks = mib * 1024 * 1024 / block_size;

  std::string base = (std::filesystem::temp_directory_path() / "hm-replicate-bench-XXXXXX").string();
  if (::mkdtemp(base.data()) == nullptr) die("mkdtemp");
  auto writer = core::Core::create(base + "/w");
  if (!writer) die(writer.error().to_string());
  {
    Bytes block(block_size);
    for (uint64_t i = 0; i < blocks; i += 64) {
      std::vector<Bytes> batch;
      for (uint64_t j = i; j < std::min(blocks, i + 64); ++j) {
        crypto::random_bytes(block.data(), 64);  // distinct blocks, cheap to make
        block[64] = static_cast<uint8_t>(j);
        batch.push_back(block);
      }
      std::vector<ByteView> views(batch.begin(), batch.end());
      if (!(*writer)->append(views)) die("append");
    }
    if (!(*writer)->sync()) die("sync");
  }
  fmt::print("core: {} blocks of {} KiB ({} MiB)\n", blocks, block_kib, mib);

  Server server(**writer);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    // 1. Full clone.
    auto replica = core::Core::open_replica(base + "/r", (*writer)->key());
    if (!replica) die(replica.error().to_string());
    wire::Replicator client(&loop);
    if (!client.add_core(**replica, {})) die("add_core");
    if (!client.download(**replica, 0, std::nullopt)) die("download");
    auto start = Clock::now();
    dial(&loop, client, server.port);
    if (!run_until(&loop, [&] { return client.done(**replica) && (*replica)->length() > 0; }, 600)) {
      die("clone timed out");
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double mb = static_cast<double>(blocks * block_size) / 1e6;
    fmt::print("full clone: {:.2f} s, {:.1f} MB/s ({:.1f} MiB/s), {} blocks\n", seconds,
               mb / seconds, mb / seconds * 1e6 / (1024.0 * 1024.0), (*replica)->blocks_present());
    client.close_all();
    run_until(&loop, [&] { return client.peer_count() == 0; }, 10);
  }
  {
    // 2. Sparse gets over an established connection.
    auto replica = core::Core::open_replica(base + "/s", (*writer)->key());
    if (!replica) die(replica.error().to_string());
    wire::Replicator client(&loop);
    if (!client.add_core(**replica, {.upload = true, .live = true})) die("add_core");
    dial(&loop, client, server.port);
    if (!run_until(&loop, [&] { return client.peer_count() == 1; }, 30)) die("connect timed out");
    // The first get also waits for the handshake and the remote's Have: not counted.
    std::vector<double> ms;
    for (int i = 0; i < 41; ++i) {
      uint64_t block = (static_cast<uint64_t>(i) * 7919) % blocks;
      bool got = false;
      auto start = Clock::now();
      auto id = client.get(**replica, block, [&](Result<Bytes> r) {
        if (!r) die(r.error().to_string());
        got = true;
      });
      if (!id) die(id.error().to_string());
      if (!run_until(&loop, [&] { return got; }, 30)) die("get timed out");
      if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    fmt::print("sparse get of one {} KiB block: median {:.3f} ms, min {:.3f} ms, max {:.3f} ms "
               "({} gets, {} blocks stored)\n",
               block_kib, ms[ms.size() / 2], ms.front(), ms.back(), ms.size(),
               (*replica)->blocks_present());
    client.close_all();
    run_until(&loop, [&] { return client.peer_count() == 0; }, 10);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::error_code ec;
  std::filesystem::remove_all(base, ec);
  return 0;
}
