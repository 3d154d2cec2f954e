#include "drive/stat.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <unordered_map>

#include <fmt/format.h>

#include "hyperdrive.pb.h"

namespace hypermount::drive {

namespace {

// JS enumerates an object's "array index" keys ("0" .. "4294967294", canonical decimal) first,
// ascending, before its other keys in insertion order; the reference encoder walks
// Object.keys(metadata), so that is the order on the wire.
std::optional<uint32_t> array_index(std::string_view name) {
  if (name.empty() || name.size() > 10) return std::nullopt;
  if (name.size() > 1 && name[0] == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= 0xffffffffULL) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::vector<const Xattr*> js_key_order(const std::vector<Xattr>& metadata) {
  std::vector<const Xattr*> indexed;
  std::vector<const Xattr*> named;
  for (const Xattr& x : metadata) (array_index(x.name) ? indexed : named).push_back(&x);
  std::stable_sort(indexed.begin(), indexed.end(), [](const Xattr* a, const Xattr* b) {
    return *array_index(a->name) < *array_index(b->name);
  });
  indexed.insert(indexed.end(), named.begin(), named.end());
  return indexed;
}

// A canonical decimal number no greater than `max` (no sign, no leading zero).
std::optional<uint64_t> parse_decimal(std::string_view digits, uint64_t max) {
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// "MAJOR:MINOR", each a canonical decimal uint32 (kDeviceKey).
std::optional<DeviceNumber> parse_device(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto major_id = parse_decimal(text.substr(0, colon), UINT32_MAX);
  auto minor_id = parse_decimal(text.substr(colon + 1), UINT32_MAX);
  if (!major_id || !minor_id) return std::nullopt;
  return DeviceNumber{static_cast<uint32_t>(*major_id), static_cast<uint32_t>(*minor_id)};
}

Stat with_type(uint32_t type, uint32_t permissions, uint32_t default_permissions,
               uint64_t now_ms) {
  Stat st;
  st.mode = (permissions != 0 ? permissions : default_permissions) | type;
  st.mtime_ms = now_ms;
  st.ctime_ms = now_ms;
  return st;
}

}  // namespace

uint64_t clock_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Stat Stat::file(uint64_t now_ms, uint32_t permissions) {
  return with_type(kModeRegular, permissions, kDefaultFileMode, now_ms);
}

Stat Stat::directory(uint64_t now_ms, uint32_t permissions) {
  return with_type(kModeDirectory, permissions, kDefaultDirectoryMode, now_ms);
}

Stat Stat::symlink(std::string target, uint64_t now_ms, uint32_t permissions) {
  Stat st = with_type(kModeSymlink, permissions, kDefaultFileMode, now_ms);
  st.linkname = std::move(target);
  return st;
}

Stat Stat::special(uint32_t type, uint64_t now_ms, uint32_t permissions,
                   std::optional<DeviceNumber> device) {
  Stat st = with_type(type, permissions, kDefaultFileMode, now_ms);
  if (st.is_device()) st.device = device;
  return st;
}

EntryKind Stat::kind() const {
  if (mount) return mount->hypercore ? EntryKind::CoreMount : EntryKind::DriveMount;
  switch (type()) {
    case kModeRegular:
      return EntryKind::File;
    case kModeDirectory:
      return EntryKind::Directory;
    case kModeSymlink:
      return EntryKind::Symlink;
    default:
      return EntryKind::Other;
  }
}

std::optional<Bytes> Stat::xattr(std::string_view name) const {
  for (const Xattr& x : metadata) {
    if (x.name == name) return x.value;
  }
  return std::nullopt;
}

std::vector<std::string> Stat::xattr_names() const {
  std::vector<std::string> names;
  for (const Xattr* x : js_key_order(metadata)) {
    if (x->value) names.push_back(x->name);
  }
  return names;
}

void Stat::set_xattr(std::string_view name, Bytes value) {
  for (Xattr& x : metadata) {
    if (x.name == name) {
      x.value = std::move(value);
      return;
    }
  }
  metadata.push_back(Xattr{std::string(name), std::move(value)});
}

bool Stat::remove_xattr(std::string_view name) {
  for (Xattr& x : metadata) {
    if (x.name == name) {
      bool had_value = x.value.has_value();
      x.value.reset();
      return had_value;
    }
  }
  return false;
}

Bytes encode_stat(const Stat& stat) {
  pb::Stat msg;
  msg.set_mode(stat.mode);
  msg.set_uid(stat.uid);
  msg.set_gid(stat.gid);
  msg.set_size(stat.size);
  msg.set_blocks(stat.blocks);
  msg.set_offset(stat.offset);
  msg.set_byteoffset(stat.byte_offset);
  msg.set_mtime(stat.mtime_ms);
  msg.set_ctime(stat.ctime_ms);
  // The reference stores null for "no link"; an empty target would decode as no link anyway.
  if (stat.linkname && !stat.linkname->empty()) msg.set_linkname(*stat.linkname);
  if (stat.mount) {
    pb::StatMount* mount = msg.mutable_mount();
    mount->set_key(stat.mount->key.data(), stat.mount->key.size());
    if (stat.mount->version) mount->set_version(*stat.mount->version);
    if (stat.mount->hash) mount->set_hash(stat.mount->hash->data(), stat.mount->hash->size());
    mount->set_hypercore(stat.mount->hypercore);
  }
  for (const Xattr* x : js_key_order(stat.metadata)) {
    if (x->name == kDeviceKey || x->name == kAccessTimeKey) continue;  // their fields say it
    pb::MetadataEntry* entry = msg.add_metadata();
    entry->set_key(x->name);
    if (x->value) entry->set_value(x->value->data(), x->value->size());
  }
  if (stat.device) {
    pb::MetadataEntry* entry = msg.add_metadata();
    entry->set_key(std::string(kDeviceKey));
    entry->set_value(fmt::format("{}:{}", stat.device->major_id, stat.device->minor_id));
  }
  if (stat.atime_ms) {
    pb::MetadataEntry* entry = msg.add_metadata();
    entry->set_key(std::string(kAccessTimeKey));
    entry->set_value(std::to_string(*stat.atime_ms));
  }
  std::string out = msg.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

Result<Stat> decode_stat(ByteView bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return Error::corrupt("Stat of {} bytes is too large", bytes.size());
  }
  pb::Stat msg;
  // Required fields are checked here rather than by the runtime, which would log each failure.
  if (!msg.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error::corrupt("Stat of {} bytes is not valid protobuf", bytes.size());
  }
  if (!msg.has_mode()) return Error::corrupt("Stat of {} bytes has no mode", bytes.size());
  Stat st;
  st.mode = msg.mode();
  st.uid = msg.uid();
  st.gid = msg.gid();
  st.size = msg.size();
  st.blocks = msg.blocks();
  st.offset = msg.offset();
  st.byte_offset = msg.byteoffset();
  st.mtime_ms = msg.mtime();
  st.ctime_ms = msg.ctime();
  if (!msg.linkname().empty()) st.linkname = msg.linkname();
  if (msg.has_mount()) {
    const pb::StatMount& m = msg.mount();
    if (!m.has_key() || m.key().size() != crypto::kPublicKeySize) {
      return Error::corrupt("Stat mount key has {} bytes, expected {}", m.key().size(),
                            crypto::kPublicKeySize);
    }
    StatMount mount;
    std::copy(m.key().begin(), m.key().end(), mount.key.begin());
    if (m.has_version()) mount.version = m.version();
    if (m.has_hash()) mount.hash = Bytes(m.hash().begin(), m.hash().end());
    mount.hypercore = m.hypercore();
    st.mount = std::move(mount);
  }
  std::unordered_map<std::string, size_t> position;
  for (const pb::MetadataEntry& entry : msg.metadata()) {
    if (entry.key() == kDeviceKey) {
      st.device = entry.has_value() ? parse_device(entry.value()) : std::nullopt;
      continue;
    }
    if (entry.key() == kAccessTimeKey) {
      st.atime_ms = entry.has_value() ? parse_decimal(entry.value(), UINT64_MAX) : std::nullopt;
      continue;
    }
    std::optional<Bytes> value;
    if (entry.has_value()) value = Bytes(entry.value().begin(), entry.value().end());
    auto [it, inserted] = position.try_emplace(entry.key(), st.metadata.size());
    if (inserted) {
      st.metadata.push_back(Xattr{entry.key(), std::move(value)});
    } else {
      st.metadata[it->second].value = std::move(value);
    }
  }
  // In the order a JS object enumerates them, as the reference sees them after decoding.
  std::vector<Xattr> ordered;
  ordered.reserve(st.metadata.size());
  for (const Xattr* x : js_key_order(st.metadata)) ordered.push_back(*x);
  st.metadata = std::move(ordered);
  return st;
}

}  // namespace hypermount::drive
