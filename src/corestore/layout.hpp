// Where corestore 5 keeps things under its storage root: the master_key file and one folder per
// core named after its discovery key (shared/spec/hyperdrive.md §2.1, §2.4). Loop thread only.
#pragma once

#include "corestore/key_derivation.hpp"
#include "crypto/keys.hpp"
#include "util/result.hpp"

#include <string>

namespace hypermount::corestore {

// File names relative to the storage root and to a core folder (§2.4).
constexpr std::string_view kMasterKeyFile = "master_key";
constexpr std::string_view kNameFile = "name";
constexpr std::string_view kKeyFile = "key";
constexpr std::string_view kSecretKeyFile = "secret_key";

// "<dk[0:2]>/<dk[2:4]>/<dk>" in lowercase hex, relative to the storage root.
std::string core_folder(const crypto::DiscoveryKey& discovery_key);

// Reads `<root>/master_key`. When it is missing or shorter than 32 bytes a fresh random key is
// written there first, as corestore does on every open; a longer file keeps its first 32 bytes.
// Io on failure to read, create or write.
Result<MasterKey> load_or_create_master_key(const std::string& root);

}  // namespace hypermount::corestore
