// Command-line helpers shared by the store-based commands: `--store DIR` and its default, drive
// keys given as hex, hyper://KEY[+VERSION] or dat://KEY. Main thread only.
#pragma once

#include "crypto/keys.hpp"
#include "drive/drive_url.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount::cli {

using DriveSource = drive::DriveUrl;
inline Result<DriveSource> parse_drive_source(std::string_view text) { return drive::parse_drive_url(text); }

// How output and logs name a core or drive: the first 4 bytes of its discovery key, in hex
// (never the key itself, which lets whoever has it read the drive).
std::string short_dk(const crypto::DiscoveryKey& discovery_key);

// The store folder: --store, else $HYPERMOUNT_STORE, else ~/.local/share/hypermount.
std::string default_store();

// Removes "--NAME VALUE" from `args` and returns VALUE (nullopt if absent).
std::optional<std::string> take_option(std::vector<std::string_view>& args, std::string_view name);
// Removes "--NAME" from `args`; true if it was there.
bool take_flag(std::vector<std::string_view>& args, std::string_view name);

}  // namespace hypermount::cli
