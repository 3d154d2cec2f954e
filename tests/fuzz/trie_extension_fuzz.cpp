// libFuzzer target: the `hypertrie` extension's decoders, a peer's get, iterator or cache message
// answered from a trie of 200 keys. Built by tests/fuzz/meson.build with -Dfuzz=true.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "core/core.hpp"
#include "crypto/keys.hpp"
#include "hypertrie.pb.h"
#include "node/trie_extension.hpp"
#include "trie/block_log.hpp"
#include "trie/trie.hpp"

namespace {

using namespace hypermount;

// A writable core in a new temporary folder holding a trie of 200 keys, made once; the folder
// goes when the fuzzer exits.
struct TrieCore {
  std::string folder;
  std::unique_ptr<core::Core> core;
  TrieCore() {
    if (!crypto::init()) std::abort();
    char name[] = "/tmp/hm-trie-extension-fuzz.XXXXXX";
    if (::mkdtemp(name) == nullptr) std::abort();
    folder = name;
    auto created = core::Core::create(folder + "/core");
    if (!created) std::abort();
    core = std::move(*created);
    trie::CoreLog log(*core);
    auto trie = trie::Trie::open(log);
    if (!trie) std::abort();
    for (int i = 0; i < 200; ++i) {
      const std::string value = fmt::format("value {}", i);
      if (!(*trie)->put(fmt::format("d{}/f{}", i % 7, i), as_bytes(value))) std::abort();
    }
  }
  ~TrieCore() {
    core.reset();
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
};

core::Core& trie_core() {
  static TrieCore made;
  return *made.core;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  core::Core& core = trie_core();
  const ByteView input(data, size);
  // Every answer is a cache message of at most 128 blocks, all of this core.
  for (const Bytes& reply : node::answer_trie_extension(core, input).messages) {
    trie::pb::Extension cache;
    if (!cache.ParseFromArray(reply.data(), static_cast<int>(reply.size())) || !cache.has_cache()) std::abort();
    if (cache.cache().blocks_size() == 0 || cache.cache().blocks_size() > 128) std::abort();
    for (uint64_t block : cache.cache().blocks()) {
      if (block >= core.length() || block < cache.cache().start() || block >= cache.cache().end()) std::abort();
    }
  }
  if (node::cached_blocks(input).size() > 2176) std::abort();
  return 0;
}
