#include "cli/store_args.hpp"

#include <charconv>
#include <cstdlib>

namespace hypermount::cli {

Result<DriveSource> parse_drive_source(std::string_view text) {
  std::string_view rest = text;
  for (std::string_view scheme : {"hyper://", "dat://"}) {
    if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  DriveSource source;
  size_t plus = rest.find('+');
  if (plus != std::string_view::npos) {
    std::string_view v = rest.substr(plus + 1);
    uint64_t version = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || end != v.data() + v.size()) {
      return Error::invalid("'{}': the version after '+' is not a number", text);
    }
    source.version = version;
    rest = rest.substr(0, plus);
  }
  auto key = array_from_hex<crypto::kPublicKeySize>(rest);
  if (!key) return Error::invalid("'{}' is not a drive key (64 hex digits, or hyper://KEY)", text);
  source.key = *key;
  return source;
}

std::string default_store() {
  if (const char* env = std::getenv("HYPERMOUNT_STORE"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.local/share/hypermount";
}

std::optional<std::string> take_option(std::vector<std::string_view>& args, std::string_view name) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      std::string value(args[i + 1]);
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return value;
    }
  }
  return std::nullopt;
}

bool take_flag(std::vector<std::string_view>& args, std::string_view name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      args.erase(args.begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

}  // namespace hypermount::cli
