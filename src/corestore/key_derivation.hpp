// Corestore 5 key derivation: the master key, named key pairs, the `name` file, namespace and
// hyperdrive core names (shared/spec/hyperdrive.md §2.1-2.4). Pure functions; any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hypermount::corestore {

constexpr size_t kMasterKeySize = 32;
// Length of the random names corestore draws for get() without key or name (§2.3).
constexpr size_t kRandomNameSize = 32;
// The namespace word of derive-key: the seed hashes "9\ncorestore" || name (§2.2).
constexpr std::string_view kDeriveNamespace = "corestore";
// Name of the root store's default core (§2.3).
constexpr std::string_view kDefaultName = "default";
// Separator of nested namespace names: parent + ":" + child (§2.3).
constexpr char kNamespaceSeparator = ':';
// Suffix of the hyperdrive 10.21 content core name: "<metadata key hex>-content" (§2.3).
constexpr std::string_view kContentNameSuffix = "-content";

// The store's one secret; wipes itself when destroyed.
class MasterKey {
 public:
  explicit MasterKey(const ByteArray<kMasterKeySize>& bytes) : bytes_(bytes) {}
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();

  const ByteArray<kMasterKeySize>& bytes() const { return bytes_; }

 private:
  ByteArray<kMasterKeySize> bytes_;
};

// BLAKE2b-256(key = master key, message = "9\ncorestore" || name): the Ed25519 seed of the
// core called `name` (derive-key 1.0.0 as used by corestore 5).
ByteArray<32> derive_seed(const MasterKey& master_key, ByteView name);
// The key pair of the core called `name` (secret key = seed || public key).
crypto::KeyPair derive_key_pair(const MasterKey& master_key, ByteView name);

// The `name` file of a derived core: varint(len(name)) || name.
Bytes encode_name_file(ByteView name);
// The name stored in a `name` file, read as derived-key-storage 2.1 reads it: a file shorter
// than 2 bytes, a bad varint, or a length that does not cover exactly the rest of the file
// means "no name" (nullopt), never an error.
std::optional<Bytes> decode_name_file(ByteView file);

// The store name of namespace `child` under the store called `parent`; the root store has no
// parent name (pass nullopt): "b" under the root, "b:c" under "b" (§2.3).
std::string namespace_name(const std::optional<std::string>& parent, std::string_view child);
// A binary namespace is named by its lowercase hex (§2.3).
std::string namespace_name(const std::optional<std::string>& parent, ByteView binary_child);

// The name of a hyperdrive 10.21 content core: "<metadata public key hex>-content" (§2.3).
std::string content_core_name(const crypto::PublicKey& metadata_key);

}  // namespace hypermount::corestore
