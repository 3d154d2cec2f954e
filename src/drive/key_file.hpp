// The text file `hypermount keys export` writes and `keys import` reads: a writable drive's two
// key pairs and the lengths of its cores when exported. Pure; any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>

namespace hypermount::drive {

struct CoreKeys {
  crypto::KeyPair pair;
  uint64_t length = 0;  // blocks in the exporting store
};

struct DriveKeys {
  CoreKeys metadata;  // the drive key
  CoreKeys content;
};

// At most this many bytes are read of a key file.
constexpr size_t kMaxKeyFileSize = 4096;

std::string format_key_file(const DriveKeys& keys);
// InvalidArgument naming the problem for anything else: unknown or missing lines, bad hex, or a
// secret key that does not belong to its public key.
Result<DriveKeys> parse_key_file(std::string_view text);

}  // namespace hypermount::drive
