// How hyperdrive 10 names the two cores of a drive inside a corestore namespace: metadata =
// the namespace's default core, content = random (10.8) or derived (10.21) (hyperdrive.md §2.3).
// Loop thread only.
#pragma once

#include "corestore/corestore.hpp"

namespace hypermount::corestore {

// The two reference lines differ in how a new drive's content core is named (§15).
enum class DriveLine {
  V10_8,   // hyperdrive 10.8.16: 32 random bytes, writable later only through the name file
  V10_21,  // hyperdrive 10.21.0: "<metadata key hex>-content", re-derivable from the master key
};

// The metadata core of the drive of namespace `ns` (its default core; the drive key).
Result<std::shared_ptr<core::Core>> drive_metadata_core(const Namespace& ns);

// Creates (or, for V10_21, also reopens) the content core of a new drive whose metadata core
// has `metadata_key`. Its public key is what the drive writes into metadata block 0.
Result<std::shared_ptr<core::Core>> create_drive_content_core(const Namespace& ns,
                                                              const crypto::PublicKey& metadata_key,
                                                              DriveLine line);

// Opens the content core of an existing drive from the key in its metadata block 0: writable
// when this store created it (name file), otherwise a replica.
Result<std::shared_ptr<core::Core>> open_drive_content_core(const Namespace& ns,
                                                            const crypto::PublicKey& content_key);

}  // namespace hypermount::corestore
