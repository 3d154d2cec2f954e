// Drive addresses as users write them: hex keys, hyper://KEY[+VERSION] and dat://KEY (what
// `hypermount mount`, the drive commands and mount-drive accept). Pure; any thread.
#pragma once

#include "crypto/keys.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hypermount::drive {

struct DriveUrl {
  crypto::PublicKey key{};
  std::optional<uint64_t> version;
};

// "hex", "hyper://hex", "hyper://hex+12", "dat://hex" (trailing '/' ignored); InvalidArgument
// otherwise.
Result<DriveUrl> parse_drive_url(std::string_view text);
// "hyper://hex" or "hyper://hex+VERSION": what parse_drive_url reads back.
std::string format_drive_url(const crypto::PublicKey& key, std::optional<uint64_t> version);

}  // namespace hypermount::drive
