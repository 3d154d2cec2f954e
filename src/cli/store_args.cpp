#include "cli/store_args.hpp"

#include <cstdlib>

namespace hypermount::cli {

std::string short_dk(const crypto::DiscoveryKey& discovery_key) { return to_hex(ByteView(discovery_key).first(4)); }

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
