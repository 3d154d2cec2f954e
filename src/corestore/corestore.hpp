// A corestore 5 directory: one master key and many hypercores in discovery-key folders, with
// writable cores derived from names and namespaces (shared/spec/hyperdrive.md §2). Loop thread.
#pragma once

#include "core/core.hpp"
#include "corestore/key_derivation.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::corestore {

class Corestore;

// A view of a store under one name, like JS corestore.namespace(): its default core is derived
// from the namespace name. Borrowed: the Corestore must outlive it. Cheap to copy.
class Namespace {
 public:
  // The store name: the name of this namespace's default core.
  const std::string& name() const { return name_; }
  // The writable core derived from this namespace's name (the drive metadata core, §2.3).
  Result<std::shared_ptr<core::Core>> default_core() const;
  // A nested namespace: "<name>:<child>" (binary children by their hex).
  Namespace namespace_(std::string_view child) const;
  Namespace namespace_(ByteView binary_child) const;
  Corestore& store() const { return *store_; }

 private:
  friend class Corestore;
  Namespace(Corestore& store, std::string name) : store_(&store), name_(std::move(name)) {}

  Corestore* store_;
  std::string name_;
};

// Owns the cores it opened (kept open until the store is destroyed) and hands them out shared:
// a core is shared between the store (which replicates every open core, §2.5) and the drives,
// mounts and commands using it. Every core folder is opened at most once per process, because
// opening locks its bitfield file.
class Corestore {
 public:
  // Opens the store rooted at `root` (created if missing): reads master_key, creating it with
  // 32 random bytes when it is missing or short, as the reference does.
  static Result<std::unique_ptr<Corestore>> open(const std::string& root);

  Corestore(const Corestore&) = delete;
  Corestore& operator=(const Corestore&) = delete;

  const std::string& root() const { return root_; }
  // The absolute folder of the core with this discovery key (it may not exist).
  std::string core_dir(const crypto::DiscoveryKey& discovery_key) const;
  // The key pair the store derives for `name` (what default()/named cores use).
  crypto::KeyPair derive_key_pair(ByteView name) const;

  // The root store's default core, named "default".
  Result<std::shared_ptr<core::Core>> default_core() { return named(as_bytes(kDefaultName)); }
  // Creates or opens the writable core derived from `name`; a new one gets a `name` file and no
  // secret_key file. Corrupt if the folder's key or name file belongs to another core.
  Result<std::shared_ptr<core::Core>> named(ByteView name);
  Result<std::shared_ptr<core::Core>> named(std::string_view name) { return named(as_bytes(name)); }
  // corestore get() with neither key nor name: a new writable core with a random 32-byte name
  // (a hyperdrive 10.8 content core, a hypercore to mount).
  Result<std::shared_ptr<core::Core>> create_random();
  // Opens the core `key`: writable when its folder has a valid name file (or a secret_key file),
  // otherwise a replica; creates an empty replica when the store does not have it yet.
  Result<std::shared_ptr<core::Core>> get(const crypto::PublicKey& key);
  // get({ keyPair }): explicit keys, stored in the secret_key file, no name file.
  Result<std::shared_ptr<core::Core>> get_with_key_pair(const crypto::KeyPair& pair);
  // Whether a core with this discovery key is stored here (its folder has a key file): the
  // only cores the store opens when a peer asks for a discovery key (§2.5).
  bool has_core(const crypto::DiscoveryKey& discovery_key) const;
  // Opens a stored core by discovery key; NotFound unless has_core().
  Result<std::shared_ptr<core::Core>> get_by_discovery_key(const crypto::DiscoveryKey& dk);

  // The root store as a Namespace (name "default") and its namespaces ("b", "b:c", hex of a
  // binary namespace).
  Namespace root_namespace() { return Namespace(*this, std::string(kDefaultName)); }
  Namespace namespace_(std::string_view name) {
    return Namespace(*this, namespace_name(std::nullopt, name));
  }
  Namespace namespace_(ByteView binary_name) {
    return Namespace(*this, namespace_name(std::nullopt, binary_name));
  }

  // Every core opened so far, in discovery-key order.
  std::vector<std::shared_ptr<core::Core>> open_cores() const;

 private:
  Corestore(std::string root, MasterKey master_key)
      : root_(std::move(root)), master_key_(std::move(master_key)) {}

  // Opens the existing core in folder `dk`, deriving its secret key from a valid name file,
  // else using `fallback_secret_key`, else the folder's secret_key file. `expected` is checked
  // against the stored key. Without a name file, `name_to_record` is written as the name.
  Result<std::shared_ptr<core::Core>> open_existing(
      const crypto::DiscoveryKey& dk, const std::optional<crypto::PublicKey>& expected,
      const std::optional<crypto::SecretKey>& fallback_secret_key,
      std::optional<ByteView> name_to_record);
  // Creates the core derived from `name` in its folder (name file first, then the core).
  Result<std::shared_ptr<core::Core>> create_named(ByteView name, const crypto::KeyPair& pair);
  std::shared_ptr<core::Core> remember(std::unique_ptr<core::Core> core);
  std::shared_ptr<core::Core> cached(const crypto::DiscoveryKey& dk) const;

  std::string root_;
  MasterKey master_key_;
  std::map<crypto::DiscoveryKey, std::shared_ptr<core::Core>> cores_;
};

}  // namespace hypermount::corestore
