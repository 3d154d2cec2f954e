// libFuzzer target: hypertrie node and header decoders, plus re-encoding of what decodes.
// Built by tests/fuzz/meson.build in a clang build configured with -Dfuzz=true.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/keys.hpp"
#include "trie/node.hpp"
#include "trie/routing_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hypermount;
  using namespace hypermount::trie;
  static const bool sodium_ready = crypto::init();
  if (!sodium_ready) std::abort();
  const ByteView input(data, size);
  auto node = decode_node(input, 1);
  if (node) {
    // A decoded node re-encodes to bytes that decode to the same value and flags, and the key
    // normalized once more (decoding strips one leading '/', as the JS Node constructor does).
    auto again = decode_node(encode_node(*node), 1);
    if (!again || again->key() != normalize_key(node->key()) || again->value() != node->value() ||
        again->stored_flags() != node->stored_flags()) {
      std::abort();
    }
    // Walking the digit path and the table must stay in bounds.
    for (uint64_t i = 0; i < node->length() && i < 4096; ++i) {
      (void)node->digit(i);
      (void)node->trie().slot(i, node->digit(i));
    }
  } else if (node.error().code() != Errc::Corrupt) {
    std::abort();
  }
  auto table = RoutingTable::decode(input);
  if (table) {
    auto again = RoutingTable::decode(table->encode());
    if (!again) std::abort();
  }
  (void)decode_header(input);
  return 0;
}
