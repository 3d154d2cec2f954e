// Helpers for tests that replicate over real loopback TCP on one libuv loop: the loop with a
// run-until, writer and replica cores with known blocks, a connected pair of replicators.
#pragma once

#include "core/core.hpp"
#include "wire/replicator.hpp"
#include "wire/stream_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

namespace hypermount::test {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    // Every handle must be closed by now: run the close callbacks, then the loop must close.
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  // Runs the loop until pred() holds or timeout_ms passes; returns pred().
  bool run_until(std::function<bool()> pred, uint64_t timeout_ms = 10000) {
    struct Ctx {
      std::function<bool()> pred;
      uint64_t deadline;
    } ctx{std::move(pred), uv_now(&loop) + timeout_ms};
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    timer.data = &ctx;
    uv_timer_start(
        &timer,
        [](uv_timer_t* t) {
          auto* c = static_cast<Ctx*>(t->data);
          if (c->pred() || uv_now(t->loop) >= c->deadline) uv_stop(t->loop);
        },
        0, 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return ctx.pred();
  }
  // Runs the loop for `ms` of its own time.
  void run_for(uint64_t ms) {
    const uint64_t until = uv_now(&loop) + ms;
    run_until([&] { return uv_now(&loop) >= until; }, ms + 1000);
  }
};

inline Bytes block_bytes(uint64_t index, size_t size) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>((index * 131 + i * 7) & 0xff);
  return out;
}

inline std::unique_ptr<core::Core> make_writer(const std::string& dir, uint64_t blocks, size_t size) {
  auto created = core::Core::create(dir);
  REQUIRE(created.ok());
  std::unique_ptr<core::Core> core = std::move(*created);
  for (uint64_t i = 0; i < blocks; ++i) {
    Bytes b = block_bytes(i, size + i % 5);
    REQUIRE(core->append({ByteView(b)}).ok());
  }
  return core;
}

inline std::unique_ptr<core::Core> make_replica(const std::string& dir, const crypto::PublicKey& key) {
  auto opened = core::Core::open_replica(dir, key);
  REQUIRE(opened.ok());
  return std::move(*opened);
}

// `server` serves `writer` and `client` downloads all of it into `replica`, once connected.
inline void serve_and_download(wire::Replicator& server, core::Core& writer, wire::Replicator& client,
                               core::Core& replica) {
  REQUIRE(server.add_core(writer, {}).ok());
  REQUIRE(client.add_core(replica, {}).ok());
  REQUIRE(client.download(replica, 0, std::nullopt).ok());
}

// `client` dials 127.0.0.1:port (protocol version detected).
inline void dial(uv_loop_t* loop, wire::Replicator& client, uint16_t port) {
  auto target = wire::parse_host_port(fmt::format("127.0.0.1:{}", port));
  REQUIRE(target.ok());
  REQUIRE(wire::dial_tcp(loop, *target, [&client](Result<wire::StreamHandle> s) {
            REQUIRE(s.ok());
            CHECK(client.add_stream(std::move(*s), crypto::NoiseRole::Initiator,
                                    wire::ProtocolVersion::Auto).ok());
          }).ok());
}

// Listens on 127.0.0.1:0 with `server`; `client` dials it.
struct Link {
  std::unique_ptr<wire::TcpListener> listener;
};

inline Link connect(uv_loop_t* loop, wire::Replicator& client, wire::Replicator& server,
             wire::ProtocolVersion version = wire::ProtocolVersion::V8) {
  Link link;
  auto address = wire::parse_host_port("127.0.0.1:0");
  REQUIRE(address.ok());
  auto listener = wire::TcpListener::listen(loop, *address, [&server, version](wire::StreamHandle s) {
    auto added = server.add_stream(std::move(s), crypto::NoiseRole::Responder, version);
    CHECK(added.ok());
  });
  REQUIRE(listener.ok());
  link.listener = std::move(*listener);
  dial(loop, client, link.listener->port());
  return link;
}

}  // namespace hypermount::test
