// The engine's one rule for remote data: run an operation over local data; when it fails with
// Unavailable, fetch everything it found missing in one batch and run it again. Loop thread.
#pragma once

#include "drive/drive.hpp"
#include "node/fetcher.hpp"
#include "util/result.hpp"

#include <functional>
#include <utility>

namespace hypermount::node {

// Batches in a row that found every block already local (another batch brought them) before
// the operation is taken to be stuck: it keeps naming blocks that are here.
inline constexpr int kMaxIdleRounds = 3;

// Runs `attempt` (restartable: synchronous over local data, appending nothing when it fails with
// Unavailable) until it succeeds or fails otherwise. After each Unavailable, the blocks
// `missing()` names (the whole frontier the attempt could see) are fetched in one batch. No
// round limit: each batch that brings blocks is progress, and the fetcher's deadline bounds the
// wait without it. Without a fetcher the first result is final. `done` runs exactly once,
// unless the fetcher is destroyed first. (`idle_rounds` and `resumed` carry the state of the
// rounds before: callers leave them out.)
template <typename T>
void run_fetching(Fetcher* fetcher, std::function<Result<T>()> attempt,
                  std::function<const drive::MissingBlocks&()> missing,
                  std::function<void(Result<T>)> done, int idle_rounds = 0, bool resumed = false) {
  Result<T> result = attempt();
  if (result || result.error().code() != Errc::Unavailable || fetcher == nullptr) {
    done(std::move(result));
    return;
  }
  Error lacked = result.error();
  const drive::MissingBlocks& wanted = missing();  // read before `missing` moves below
  fetcher->fetch(wanted, resumed, [fetcher, attempt = std::move(attempt), missing = std::move(missing),
                             done = std::move(done), idle_rounds, lacked](Result<uint64_t> fetched) mutable {
    if (!fetched) {
      done(fetched.error());
      return;
    }
    const int idle = *fetched == 0 ? idle_rounds + 1 : 0;
    if (idle > kMaxIdleRounds) {
      done(lacked);  // no progress: report what the operation lacked
      return;
    }
    run_fetching<T>(fetcher, std::move(attempt), std::move(missing), std::move(done), idle, true);
  });
}

}  // namespace hypermount::node
