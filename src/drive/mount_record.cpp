#include "drive/mount_record.hpp"

#include <algorithm>
#include <climits>

#include "hyperdrive.pb.h"

namespace hypermount::drive {

std::string mount_record_key(std::string_view local_path) {
  return std::string(kMountsPrefix) + std::string(local_path);
}

Bytes encode_mount_record(const MountRecord& record) {
  pb::MountRecord msg;
  msg.set_key(record.key.data(), record.key.size());
  msg.set_localpath(record.local_path);
  if (record.version) msg.set_version(*record.version);
  if (record.remote_path) msg.set_remotepath(*record.remote_path);
  if (record.hash) msg.set_hash(record.hash->data(), record.hash->size());
  std::string out = msg.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

Result<MountRecord> decode_mount_record(ByteView bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return Error::corrupt("mount record of {} bytes is too large", bytes.size());
  }
  pb::MountRecord msg;
  // Required fields are checked here rather than by the runtime, which would log each failure.
  if (!msg.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error::corrupt("mount record of {} bytes is not valid protobuf", bytes.size());
  }
  if (!msg.has_localpath()) {
    return Error::corrupt("mount record of {} bytes has no localPath", bytes.size());
  }
  if (!msg.has_key() || msg.key().size() != crypto::kPublicKeySize) {
    return Error::corrupt("mount record key has {} bytes, expected {}", msg.key().size(),
                          crypto::kPublicKeySize);
  }
  MountRecord record;
  std::copy(msg.key().begin(), msg.key().end(), record.key.begin());
  record.local_path = msg.localpath();
  if (msg.has_version()) record.version = msg.version();
  if (msg.has_remotepath()) record.remote_path = msg.remotepath();
  if (msg.has_hash()) record.hash = Bytes(msg.hash().begin(), msg.hash().end());
  return record;
}

}  // namespace hypermount::drive
