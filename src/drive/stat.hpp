// The hyperdrive Stat message (the value of every visible trie node): fields, defaults, entry
// kinds, extended attributes and the byte-exact codec (shared/spec/hyperdrive.md §4). Any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::drive {

// File type bits of Stat.mode (§4.1); test with (mode & kModeTypeMask) == type, never with the
// reference's (mode & type) == type, which calls every symlink a file (§4.3).
constexpr uint32_t kModeTypeMask = 0170000;
constexpr uint32_t kModeSocket = 0140000;
constexpr uint32_t kModeSymlink = 0120000;
constexpr uint32_t kModeRegular = 0100000;
constexpr uint32_t kModeBlockDevice = 0060000;
constexpr uint32_t kModeDirectory = 0040000;
constexpr uint32_t kModeCharDevice = 0020000;
constexpr uint32_t kModeFifo = 0010000;
// Permission defaults when none (or 0) is given: files and symlinks rw-r--r--, directories
// rwxr-xr-x (hyperdrive-schemas lib/stat.js).
constexpr uint32_t kDefaultFileMode = 0644;
constexpr uint32_t kDefaultDirectoryMode = 0755;

// The metadata entry (§4, field 12) that holds the number of a character or block device:
// "MAJOR:MINOR" in decimal ASCII, as /sys/dev names devices. The Stat message has no rdev field;
// the reference never writes devices but keeps this entry as ordinary metadata. The codec moves
// it between the map and Stat::device, so it is never an extended attribute.
constexpr std::string_view kDeviceKey = "hypermount.rdev";
// The metadata entry that holds an access time set explicitly (utimensat, touch -a): milliseconds
// since the epoch in decimal ASCII. The Stat message has no atime (§4.1: the reference reports
// "now"); without this entry the access time is the modification time. Moved between the map and
// Stat::atime_ms like kDeviceKey, so it is never an extended attribute either.
constexpr std::string_view kAccessTimeKey = "hypermount.atime";

// A device number split as makedev(3) splits it.
struct DeviceNumber {
  uint32_t major_id = 0;
  uint32_t minor_id = 0;

  bool operator==(const DeviceNumber&) const = default;
};

// Stat.mount: what is mounted at a mount point (§4, §9).
struct StatMount {
  crypto::PublicKey key{};          // mounted drive's metadata key, or the mounted hypercore's
  std::optional<uint64_t> version;  // pinned version; written only when given
  std::optional<Bytes> hash;        // never set by hyperdrive 10
  bool hypercore = false;           // always written: 20 00 (drive) / 20 01 (hypercore)

  bool operator==(const StatMount&) const = default;
};

// One extended attribute. A removed attribute stays as an entry without value (§4.2).
struct Xattr {
  std::string name;
  std::optional<Bytes> value;

  bool operator==(const Xattr&) const = default;
};

enum class EntryKind {
  File,
  Directory,
  Symlink,
  DriveMount,  // a directory Stat with a mount that is not a hypercore
  CoreMount,   // a file Stat with mount.hypercore
  Other,       // FIFO, socket or device: no content (the reference never writes these)
};

struct Stat {
  uint32_t mode = 0;  // type bits | permissions
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;         // bytes
  uint64_t blocks = 0;       // content-core blocks, not 512-byte units (§4.1)
  uint64_t offset = 0;       // first content block index
  uint64_t byte_offset = 0;  // byte position of that block in the content core
  uint64_t mtime_ms = 0;     // milliseconds since the epoch
  uint64_t ctime_ms = 0;
  // The symlink target, verbatim. An empty linkname decodes as "no link", as in the reference.
  std::optional<std::string> linkname;
  std::optional<StatMount> mount;
  // Character and block devices: their number, kept in metadata under kDeviceKey.
  std::optional<DeviceNumber> device;
  // An access time set explicitly, kept in metadata under kAccessTimeKey; none: the mtime.
  std::optional<uint64_t> atime_ms;
  // Decoded in the order a JS object enumerates the names, new ones appended; encoded in that
  // JS order (see the xattr helpers below).
  std::vector<Xattr> metadata;

  bool operator==(const Stat&) const = default;

  // Stat.file / Stat.directory / Stat.symlink of the reference: `permissions` 0 means the
  // default; the type bits are OR-ed onto whatever is given, so a mode that carries its type
  // bits (kModeRegular | 0) keeps permissions 0, as the reference reads it back. Times are both
  // set to `now_ms`.
  static Stat file(uint64_t now_ms, uint32_t permissions = 0);
  static Stat directory(uint64_t now_ms, uint32_t permissions = 0);
  static Stat symlink(std::string target, uint64_t now_ms, uint32_t permissions = 0);
  // A FIFO, socket, character or block device (`type` one of their kMode* bits), without
  // content; permissions as for a file. `device` is kept for devices only.
  static Stat special(uint32_t type, uint64_t now_ms, uint32_t permissions,
                      std::optional<DeviceNumber> device = std::nullopt);

  uint32_t type() const { return mode & kModeTypeMask; }
  // The access time to report: the one set explicitly, else the modification time.
  uint64_t access_time_ms() const { return atime_ms.value_or(mtime_ms); }
  bool is_file() const { return type() == kModeRegular; }
  bool is_directory() const { return type() == kModeDirectory; }
  bool is_symlink() const { return type() == kModeSymlink; }
  bool is_device() const { return type() == kModeCharDevice || type() == kModeBlockDevice; }
  EntryKind kind() const;

  // The value of attribute `name`; nullopt if absent or removed.
  std::optional<Bytes> xattr(std::string_view name) const;
  // Names of the attributes that have a value, in stored order.
  std::vector<std::string> xattr_names() const;
  // Sets `name`, keeping an existing entry in place and appending a new one (setMetadata).
  void set_xattr(std::string_view name, Bytes value);
  // Leaves `name` as an entry without value, as removeMetadata does; false if it was absent.
  bool remove_xattr(std::string_view name);
};

// The current time as Stat holds it: milliseconds since the epoch.
uint64_t clock_ms();

// The reference's bytes for `stat`: fields 1-9 always, linkname if set, mount if set, one
// metadata entry per attribute (value omitted for removed ones) in JS object key order
// (array-index names ascending first, then the rest in stored order), then the device entry,
// then the access time entry.
Bytes encode_stat(const Stat& stat);

// Parses a Stat. Corrupt (never a crash) for anything the reference cannot decode: bad
// protobuf, missing mode, a mount without a 32-byte key. Unknown fields are skipped; a
// repeated attribute name keeps its first position and its last value, like the JS decoder.
// A kDeviceKey entry becomes `device`; one whose value is not MAJOR:MINOR is dropped. A
// kAccessTimeKey entry becomes `atime_ms`; one whose value is not a decimal number is dropped.
Result<Stat> decode_stat(ByteView bytes);

}  // namespace hypermount::drive
