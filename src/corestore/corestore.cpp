#include "corestore/corestore.hpp"

#include <sys/stat.h>

#include "corestore/layout.hpp"
#include "store/file.hpp"

namespace hypermount::corestore {

namespace {

std::string file_in(const std::string& dir, std::string_view name) {
  return dir + "/" + std::string(name);
}

// The name in `<dir>/name`, or nullopt when the file is missing or unreadable as a name
// (derived-key-storage ignores such files).
Result<std::optional<Bytes>> read_name_file(const std::string& dir) {
  HM_TRY_ASSIGN(auto file, store::File::open(file_in(dir, kNameFile), store::OpenMode::ReadOnly));
  if (!file.exists()) return std::optional<Bytes>();
  HM_TRY_ASSIGN(Bytes bytes, file.read_all());
  return decode_name_file(bytes);
}

Status write_name_file(const std::string& dir, ByteView name) {
  HM_TRY(store::make_dirs(dir));
  HM_TRY_ASSIGN(auto file, store::File::open(file_in(dir, kNameFile), store::OpenMode::ReadWrite));
  HM_TRY(file.write(0, encode_name_file(name)));
  return file.sync();
}

// Whether `<dir>/key` holds a whole public key (corestore's test for "this core exists").
bool has_key_file(const std::string& dir) {
  struct stat st;
  if (::stat(file_in(dir, kKeyFile).c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) >= crypto::kPublicKeySize;
}

}  // namespace

Result<std::shared_ptr<core::Core>> Namespace::default_core() const {
  return store_->named(as_bytes(name_));
}

Namespace Namespace::namespace_(std::string_view child) const {
  return Namespace(*store_, namespace_name(name_, child));
}

Namespace Namespace::namespace_(ByteView binary_child) const {
  return Namespace(*store_, namespace_name(name_, binary_child));
}

Result<std::unique_ptr<Corestore>> Corestore::open(const std::string& root) {
  if (!crypto::init()) return Error::unavailable("libsodium could not be initialised");
  HM_TRY_ASSIGN(auto master_key, load_or_create_master_key(root));
  return std::unique_ptr<Corestore>(new Corestore(root, std::move(master_key)));
}

std::string Corestore::core_dir(const crypto::DiscoveryKey& discovery_key) const {
  return root_ + "/" + core_folder(discovery_key);
}

crypto::KeyPair Corestore::derive_key_pair(ByteView name) const {
  return corestore::derive_key_pair(master_key_, name);
}

std::shared_ptr<core::Core> Corestore::cached(const crypto::DiscoveryKey& dk) const {
  auto it = cores_.find(dk);
  return it == cores_.end() ? nullptr : it->second;
}

std::shared_ptr<core::Core> Corestore::remember(std::unique_ptr<core::Core> core) {
  std::shared_ptr<core::Core> shared(std::move(core));
  cores_[shared->discovery_key()] = shared;
  return shared;
}

Result<std::shared_ptr<core::Core>> Corestore::open_existing(
    const crypto::DiscoveryKey& dk, const std::optional<crypto::PublicKey>& expected,
    const std::optional<crypto::SecretKey>& fallback_secret_key,
    std::optional<ByteView> name_to_record) {
  const std::string dir = core_dir(dk);
  std::optional<crypto::SecretKey> secret_key;
  HM_TRY_ASSIGN(auto name, read_name_file(dir));
  if (name) {
    crypto::KeyPair pair = derive_key_pair(*name);
    if (crypto::discovery_key(pair.public_key) != dk) {
      // corestore refuses the same way ("Stored an incorrect name.").
      return Error::corrupt("{}/name derives a key whose discovery key is not the folder's", dir);
    }
    secret_key = pair.secret_key;
  } else {
    secret_key = fallback_secret_key;
  }
  HM_TRY_ASSIGN(auto core, core::Core::open(dir, store::OpenMode::ReadWrite, secret_key));
  if (expected && core->key() != *expected) {
    return Error::corrupt("{}/key holds {} instead of {}", dir, to_hex(core->key()),
                          to_hex(*expected));
  }
  if (!name && name_to_record) {
    // A folder made by get(key) before the name was known: record the name so that JS
    // corestore also finds the core writable.
    HM_TRY(write_name_file(dir, *name_to_record));
  }
  return remember(std::move(core));
}

Result<std::shared_ptr<core::Core>> Corestore::create_named(ByteView name,
                                                            const crypto::KeyPair& pair) {
  const crypto::DiscoveryKey dk = crypto::discovery_key(pair.public_key);
  const std::string dir = core_dir(dk);
  // The name goes first: a crash before the key file leaves a folder that a retry recreates.
  HM_TRY(write_name_file(dir, name));
  HM_TRY_ASSIGN(auto core, core::Core::create(dir, pair, /*store_secret_key=*/false));
  return remember(std::move(core));
}

Result<std::shared_ptr<core::Core>> Corestore::named(ByteView name) {
  crypto::KeyPair pair = derive_key_pair(name);
  const crypto::DiscoveryKey dk = crypto::discovery_key(pair.public_key);
  if (auto core = cached(dk)) return core;
  const std::string dir = core_dir(dk);
  if (has_key_file(dir)) return open_existing(dk, pair.public_key, pair.secret_key, name);
  return create_named(name, pair);
}

Result<std::shared_ptr<core::Core>> Corestore::create_random() {
  Bytes name(kRandomNameSize);
  crypto::random_bytes(name.data(), name.size());
  return create_named(name, derive_key_pair(name));
}

Result<std::shared_ptr<core::Core>> Corestore::get(const crypto::PublicKey& key) {
  const crypto::DiscoveryKey dk = crypto::discovery_key(key);
  if (auto core = cached(dk)) return core;
  const std::string dir = core_dir(dk);
  if (has_key_file(dir)) return open_existing(dk, key, std::nullopt, std::nullopt);
  HM_TRY_ASSIGN(auto core, core::Core::open_replica(dir, key));
  return remember(std::move(core));
}

Result<std::shared_ptr<core::Core>> Corestore::get_with_key_pair(const crypto::KeyPair& pair) {
  const crypto::DiscoveryKey dk = crypto::discovery_key(pair.public_key);
  if (auto core = cached(dk)) return core;
  const std::string dir = core_dir(dk);
  if (has_key_file(dir)) return open_existing(dk, pair.public_key, pair.secret_key, std::nullopt);
  HM_TRY_ASSIGN(auto core, core::Core::create(dir, pair, /*store_secret_key=*/true));
  return remember(std::move(core));
}

bool Corestore::has_core(const crypto::DiscoveryKey& discovery_key) const {
  return cached(discovery_key) != nullptr || has_key_file(core_dir(discovery_key));
}

Result<std::shared_ptr<core::Core>> Corestore::get_by_discovery_key(
    const crypto::DiscoveryKey& dk) {
  if (auto core = cached(dk)) return core;
  if (!has_key_file(core_dir(dk))) {
    return Error::not_found("no core with discovery key {} in {}", to_hex(dk), root_);
  }
  return open_existing(dk, std::nullopt, std::nullopt, std::nullopt);
}

std::vector<std::shared_ptr<core::Core>> Corestore::open_cores() const {
  std::vector<std::shared_ptr<core::Core>> out;
  out.reserve(cores_.size());
  for (const auto& [dk, core] : cores_) out.push_back(core);
  return out;
}

}  // namespace hypermount::corestore
