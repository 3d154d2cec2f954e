// The `hypertrie` feed extension, answering side (hypertrie.md §13.2): a peer waiting for trie
// nodes asks with a get or an iterator; the answer names the blocks the same lookup reads here.
#pragma once

#include "core/core.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"
#include "wire/replicator.hpp"

#include <string_view>
#include <vector>

namespace hypermount::node {

inline constexpr std::string_view kTrieExtension = "hypertrie";

// The cache messages answering `payload` from the trie stored in `core`, at the version the
// asker named: the blocks its get (or its iteration, up to 2,176 blocks) reads here, 128 per
// message, as JS hypertrie answers; the asker then requests them all at once, so a lookup
// costs about two round trips whatever the trie's depth. Blocks missing here end the walk.
// Empty for anything else (a cache message, an iterator without a key, bytes that do not
// decode).
std::vector<Bytes> answer_trie_extension(core::Core& core, ByteView payload);

// Announces the extension on the channels of `metadata` (added to `replicator`; both outlive
// the handler) and answers each request with answer_trie_extension.
Status answer_trie_extension_on(wire::Replicator& replicator, core::Core& metadata);

}  // namespace hypermount::node
