// The seeding set a store remembers: the drives `hypermount seed` serves, one key (64 hex
// digits) a line in the file STORE/seeding, replaced atomically on each change. Main thread only.
#pragma once

#include "crypto/keys.hpp"
#include "util/result.hpp"

#include <string>
#include <vector>

namespace hypermount::cli {

// The file's name in the store folder (a running seeder watches the folder for it).
inline constexpr const char* kSeedListFile = "seeding";

// The remembered keys in their order (empty if the file does not exist); Corrupt naming the
// line that is not a key (blank lines and lines starting with '#' are skipped).
Result<std::vector<crypto::PublicKey>> read_seed_list(const std::string& store_dir);

// Adds `keys` to the set (those not in it, at its end) or removes them, under an exclusive
// lock of STORE/seeding.lock so that two changes at once both count; the new file is written
// beside the old one, synced and renamed over it. Returns the set as it is now.
enum class SeedListChange { Add, Remove };
Result<std::vector<crypto::PublicKey>> change_seed_list(const std::string& store_dir, SeedListChange change,
                                                        const std::vector<crypto::PublicKey>& keys);

}  // namespace hypermount::cli
