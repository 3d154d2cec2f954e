// The `hypertrie` feed extension (hypertrie.md §13.2): a side waiting for trie nodes asks with
// a get or an iterator; the answer names the blocks the same lookup reads at the other side.
#pragma once

#include "core/core.hpp"
#include "drive/drive.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace hypermount::node {

inline constexpr std::string_view kTrieExtension = "hypertrie";

struct TrieExtensionAnswer {
  std::vector<Bytes> messages;
  size_t blocks_read = 0;  // what answering cost here
};
// The cache messages answering `payload` from the trie stored in `core`, at the version the
// asker named: the blocks its get (or its iteration, up to 2,176 blocks) reads here, 128 per
// message, as JS hypertrie answers; the asker then requests them all at once, so a lookup
// costs about two round trips whatever the trie's depth. Blocks missing here end the walk.
// No messages for anything else (a cache message, an iterator without a key, bytes that do
// not decode).
TrieExtensionAnswer answer_trie_extension(core::Core& core, ByteView payload);

// The same answer a cache message at a time, so that a server can go on serving between them
// (an iteration's 2,176 blocks take tens of milliseconds to read). The core must outlive it;
// the trie is read at the asker's version, which later appends leave as it was.
class TrieQueryAnswer {
 public:
  // Nothing to answer (next_message() empty at once) for anything but a get or an iterator
  // with a key.
  TrieQueryAnswer(core::Core& core, ByteView payload);
  ~TrieQueryAnswer();
  TrieQueryAnswer(const TrieQueryAnswer&) = delete;
  TrieQueryAnswer& operator=(const TrieQueryAnswer&) = delete;

  // The next cache message (128 blocks, fewer at the end), reading on as far as it needs; an
  // empty message once everything is named.
  Bytes next_message();
  // Blocks read here so far.
  size_t blocks_read() const;

 private:
  struct Walk;
  std::unique_ptr<Walk> walk_;
};

// The message asking peers for the blocks `query` reads (a get or an iterator).
Bytes trie_query_message(const drive::MissingBlocks::TrieQuery& query);

// What a peer's cache message names: the blocks it lists (at most 2,176), none for anything else.
std::vector<uint64_t> cached_blocks(ByteView payload);

// Announces the extension on the channels of `metadata` (added to `replicator`; both outlive
// the handler), answers each request as answer_trie_extension does, in order, a cache message
// per turn of the loop so that requests are served in between (a peer that had 32 iterators'
// worth of blocks read for it is answered again at 8 iterators' worth a second: past that it
// requests the blocks itself; at most 1,024 requests wait), and hands the blocks a peer's cache
// message names to `on_cache` (when given).
Status answer_trie_extension_on(wire::Replicator& replicator, core::Core& metadata,
                                std::function<void(std::vector<uint64_t>)> on_cache = {});

}  // namespace hypermount::node
