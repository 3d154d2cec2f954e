#include "wire/extensions.hpp"

#include <algorithm>

namespace hypermount::wire {

Options ExtensionNames::set_local(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  local_ = std::move(names);
  Options options;
  options.extensions = local_;
  return options;
}

std::optional<uint64_t> ExtensionNames::local_id(const std::string& name) const {
  auto it = std::lower_bound(local_.begin(), local_.end(), name);
  if (it == local_.end() || *it != name) return std::nullopt;
  return static_cast<uint64_t>(it - local_.begin());
}

std::optional<std::string> ExtensionNames::resolve_remote(uint64_t id) const {
  if (id >= remote_.size()) return std::nullopt;
  const std::string& name = remote_[static_cast<size_t>(id)];
  if (!local_id(name)) return std::nullopt;
  return name;
}

std::optional<Extension> ExtensionNames::make_message(const std::string& name,
                                                      Bytes payload) const {
  auto id = local_id(name);
  if (!id) return std::nullopt;
  return Extension{*id, std::move(payload)};
}

}  // namespace hypermount::wire
