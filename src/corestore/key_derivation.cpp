#include "corestore/key_derivation.hpp"

#include <sodium.h>

#include <string>

#include "util/varint.hpp"

namespace hypermount::corestore {

MasterKey::~MasterKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

ByteArray<32> derive_seed(const MasterKey& master_key, ByteView name) {
  // derive-key prefixes the namespace with its decimal ASCII length and a newline.
  const std::string prefix =
      std::to_string(kDeriveNamespace.size()) + "\n" + std::string(kDeriveNamespace);
  crypto_generichash_state state;
  crypto_generichash_init(&state, master_key.bytes().data(), master_key.bytes().size(), 32);
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(prefix.data()),
                            prefix.size());
  crypto_generichash_update(&state, name.data(), name.size());
  ByteArray<32> seed;
  crypto_generichash_final(&state, seed.data(), seed.size());
  sodium_memzero(&state, sizeof(state));
  return seed;
}

crypto::KeyPair derive_key_pair(const MasterKey& master_key, ByteView name) {
  ByteArray<32> seed = derive_seed(master_key, name);
  crypto::KeyPair pair = crypto::key_pair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

Bytes encode_name_file(ByteView name) {
  Bytes out;
  out.reserve(varint_size(name.size()) + name.size());
  put_varint(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

std::optional<Bytes> decode_name_file(ByteView file) {
  if (file.size() < 2) return std::nullopt;
  ByteView rest = file;
  auto length = get_varint(rest);
  if (!length || *length != rest.size()) return std::nullopt;
  return Bytes(rest.begin(), rest.end());
}

std::string namespace_name(const std::optional<std::string>& parent, std::string_view child) {
  if (!parent) return std::string(child);
  return *parent + kNamespaceSeparator + std::string(child);
}

std::string namespace_name(const std::optional<std::string>& parent, ByteView binary_child) {
  return namespace_name(parent, to_hex(binary_child));
}

std::string content_core_name(const crypto::PublicKey& metadata_key) {
  return to_hex(metadata_key) + std::string(kContentNameSuffix);
}

}  // namespace hypermount::corestore
