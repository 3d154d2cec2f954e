// libFuzzer target for the hyperdrive value decoders (Stat and Mount record): any input must
// decode or fail with Corrupt, and whatever decodes must survive an encode/decode round trip.
#include <cstdint>
#include <cstdlib>

#include "drive/mount_record.hpp"
#include "drive/stat.hpp"

using namespace hypermount;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  auto stat = drive::decode_stat(input);
  if (stat.ok()) {
    auto again = drive::decode_stat(drive::encode_stat(*stat));
    if (!again.ok() || !(*again == *stat)) std::abort();
    (void)stat->kind();
    (void)stat->xattr_names();
  } else if (stat.error().code() != Errc::Corrupt) {
    std::abort();
  }
  auto record = drive::decode_mount_record(input);
  if (record.ok()) {
    auto again = drive::decode_mount_record(drive::encode_mount_record(*record));
    if (!again.ok() || !(*again == *record)) std::abort();
  } else if (record.error().code() != Errc::Corrupt) {
    std::abort();
  }
  return 0;
}
