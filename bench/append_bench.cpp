// Append throughput of a hypercore on disk, beside the single-core BLAKE2b ceiling measured in
// the same run. Prints one line per figure; the JS figure comes from bench/js (bench/run.sh).
// usage: append_bench [DIR] [MIB] [BLOCK_KIB BATCH]  (a block size and batch: that case alone)
//        append_bench --blake2b [MIB]  (the 64 KiB BLAKE2b figure alone, for a case beside it)
#include "core/core.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace hypermount;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double blake2b_mb_per_s(size_t chunk, size_t total) {
  Bytes data(chunk, 0x5a);
  uint8_t out[32];
  auto start = Clock::now();
  for (size_t done = 0; done < total; done += chunk) {
    crypto_generichash(out, sizeof out, data.data(), data.size(), nullptr, 0);
    data[0] = out[0];
  }
  return static_cast<double>(total) / 1e6 / seconds_since(start);
}

double append_mb_per_s(const std::string& dir, size_t block_size, size_t total, size_t batch) {
  std::filesystem::remove_all(dir);
  auto core = core::Core::create(dir);
  if (!core) {
    fmt::print(stderr, "bench: {}\n", core.error().to_string());
    std::exit(1);
  }
  Bytes data(block_size * batch);
  crypto::random_bytes(data.data(), data.size());
  std::vector<ByteView> views;
  for (size_t i = 0; i < batch; ++i) views.emplace_back(data.data() + i * block_size, block_size);
  auto start = Clock::now();
  for (size_t done = 0; done < total; done += block_size * batch) {
    if (auto s = (*core)->append(views); !s) {
      fmt::print(stderr, "bench: {}\n", s.error().to_string());
      std::exit(1);
    }
  }
  double mb_per_s = static_cast<double>(total) / 1e6 / seconds_since(start);
  std::filesystem::remove_all(dir);
  return mb_per_s;
}

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::init()) return 1;
  if (argc > 1 && std::string(argv[1]) == "--blake2b") {
    const size_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256;
    fmt::print("{:.0f}\n", blake2b_mb_per_s(65536, std::max<size_t>(mib, 1) << 20));
    return 0;
  }
  std::string dir = argc > 1 ? argv[1] : "/tmp/hm-append-bench";
  size_t total = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256) << 20;
  if (argc > 4) {
    size_t block = std::strtoull(argv[3], nullptr, 10) << 10;
    size_t batch = std::strtoull(argv[4], nullptr, 10);
    if (block == 0 || batch == 0) {
      fmt::print(stderr, "usage: append_bench [DIR] [MIB] [BLOCK_KIB BATCH] (positive numbers)\n");
      return 2;
    }
    fmt::print("hypermount append {}KiB blocks, {} per batch: {:.0f} MB/s\n", block / 1024, batch,
               append_mb_per_s(dir, block, total, batch));
    return 0;
  }
  fmt::print("blake2b single-core 64KiB chunks: {:.0f} MB/s (ceiling)\n",
             blake2b_mb_per_s(65536, total));
  fmt::print("blake2b single-core 4KiB chunks: {:.0f} MB/s (ceiling)\n",
             blake2b_mb_per_s(4096, total));
  for (size_t block : {size_t{4096}, size_t{65536}}) {
    for (size_t batch : {size_t{1}, size_t{16}}) {
      fmt::print("hypermount append {}KiB blocks, {} per batch: {:.0f} MB/s\n", block / 1024,
                 batch, append_mb_per_s(dir, block, total, batch));
    }
  }
  return 0;
}
