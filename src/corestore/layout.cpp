#include "corestore/layout.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>

#include "store/file.hpp"

namespace hypermount::corestore {

std::string core_folder(const crypto::DiscoveryKey& discovery_key) {
  const std::string hex = to_hex(discovery_key);
  return hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
}

Result<MasterKey> load_or_create_master_key(const std::string& root) {
  HM_TRY(store::make_dirs(root));
  const std::string path = root + "/" + std::string(kMasterKeyFile);
  HM_TRY_ASSIGN(auto file, store::File::open(path, store::OpenMode::ReadWrite));
  // Every writable drive's keys derive from this one: readable by the owner only.
  HM_TRY(file.make_private());
  ByteArray<kMasterKeySize> bytes;
  HM_TRY_ASSIGN(size_t n, file.read(0, bytes));
  if (n < bytes.size()) {
    // A new store: its folder is the owner's alone too.
    if (::chmod(root.c_str(), 0700) != 0) return Error::io(errno, "making {} private", root);
    // The reference treats a short read as "no key" and overwrites the start of the file.
    crypto::random_bytes(bytes.data(), bytes.size());
    HM_TRY(file.write(0, bytes));
    HM_TRY(file.sync());
  }
  MasterKey key(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

}  // namespace hypermount::corestore
