#include "drive/drive_url.hpp"

#include <charconv>

namespace hypermount::drive {

Result<DriveUrl> parse_drive_url(std::string_view text) {
  std::string_view rest = text;
  for (std::string_view scheme : {"hyper://", "dat://"}) {
    if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  DriveUrl url;
  size_t plus = rest.find('+');
  if (plus != std::string_view::npos) {
    std::string_view v = rest.substr(plus + 1);
    uint64_t version = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || end != v.data() + v.size()) {
      return Error::invalid("'{}': the version after '+' is not a number", text);
    }
    url.version = version;
    rest = rest.substr(0, plus);
  }
  auto key = array_from_hex<crypto::kPublicKeySize>(rest);
  if (!key) return Error::invalid("'{}' is not a drive key (64 hex digits, or hyper://KEY)", text);
  url.key = *key;
  return url;
}

std::string format_drive_url(const crypto::PublicKey& key, std::optional<uint64_t> version) {
  std::string url = "hyper://" + to_hex(key);
  if (version) url += "+" + std::to_string(*version);
  return url;
}

}  // namespace hypermount::drive
