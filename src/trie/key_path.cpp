#include "trie/key_path.hpp"

#include "crypto/shorthash.hpp"

namespace hypermount::trie {

std::string normalize_key(std::string_view key) {
  if (!key.empty() && key.front() == '/') {
    key.remove_prefix(1);
  }
  return std::string(key);
}

std::vector<std::string> split_key(std::string_view normalized_key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = normalized_key.find('/', start);
    if (slash == std::string_view::npos) {
      parts.emplace_back(normalized_key.substr(start));
      break;
    }
    parts.emplace_back(normalized_key.substr(start, slash - start));
    start = slash + 1;
  }
  // JS: list[0] === '' -> shift, then list[last] === '' -> pop (so '' gives no components).
  if (!parts.empty() && parts.front().empty()) {
    parts.erase(parts.begin());
  }
  if (!parts.empty() && parts.back().empty()) {
    parts.pop_back();
  }
  return parts;
}

Bytes hash_components(const std::vector<std::string>& components) {
  static const crypto::ShortHashKey kZeroKey{};
  Bytes out;
  out.reserve(components.size() * crypto::kShortHashSize);
  for (const std::string& part : components) {
    const crypto::ShortHash h = crypto::shorthash(as_bytes(part), kZeroKey);
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

}  // namespace hypermount::trie
