// The Mount record of a drive mount: the value of the hidden trie node `mounts/<path>`
// (mountable-hypertrie schema, shared/spec/hyperdrive.md §9.1, §14). Any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hypermount::drive {

// Hidden key prefix of mount records (§9.1, §14).
constexpr std::string_view kMountsPrefix = "mounts/";
// A visible node is a drive mount point iff its user flags are exactly this (§9.1).
constexpr uint32_t kMountUserFlags = 1;

struct MountRecord {
  crypto::PublicKey key{};  // the mounted drive's metadata key
  std::string local_path;   // the mount point's trie key in the trie holding it
  std::optional<uint64_t> version;  // written only when a version was requested
  std::optional<std::string> remote_path;  // never written by hyperdrive 10
  std::optional<Bytes> hash;               // never written by hyperdrive 10

  bool operator==(const MountRecord&) const = default;

  // The version to check the mounted drive out at: nullopt for the latest. The reference
  // decodes an absent version as 0 and treats 0 as unpinned (§9.2).
  std::optional<uint64_t> pinned_version() const {
    if (version && *version != 0) return version;
    return std::nullopt;
  }
};

// The hidden trie key of the record for the mount point with trie key `local_path`.
std::string mount_record_key(std::string_view local_path);
// Whether a node with these user flags is a mount point (user flags exactly 1, §9.1).
inline bool is_mount_point(uint32_t user_flags) { return user_flags == kMountUserFlags; }

// The reference's bytes: key, localPath, then version / remotePath / hash when set.
Bytes encode_mount_record(const MountRecord& record);
// Corrupt (never a crash) for bad protobuf, a missing key or localPath, or a key that is not
// 32 bytes.
Result<MountRecord> decode_mount_record(ByteView bytes);

}  // namespace hypermount::drive
