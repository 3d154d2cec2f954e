#include "drive/path.hpp"

#include <optional>
#include <vector>

namespace hypermount::drive {

namespace {

bool is_separator(char c) { return c == '/' || c == '\\'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Length of a leading "<letters>:" or "./" (the regex ^([a-zA-Z]+:|\.\/)), 0 if none.
size_t prefix_to_drop(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_letter(s[i])) ++i;
  if (i > 0 && i < s.size() && s[i] == ':') return i + 1;
  if (s.size() >= 2 && s[0] == '.' && s[1] == '/') return 2;
  return 0;
}

}  // namespace

std::string unixify(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (is_separator(path[i])) {
      out.push_back('/');
      while (i + 1 < path.size() && is_separator(path[i + 1])) ++i;
    } else {
      out.push_back(path[i]);
    }
  }
  // remove-trailing-separator leaves strings of up to 2 characters alone, and never removes
  // the first character.
  if (out.size() > 2) {
    size_t end = out.size();
    while (end > 1 && out[end - 1] == '/') --end;
    out.resize(end);
  }
  out.erase(0, prefix_to_drop(out));
  return out;
}

namespace {
// The components of `clean` with '.' dropped and '..' applied; a '..' at the root stays at the
// root when `clamp` (as in a chroot), and is nullopt otherwise.
std::optional<std::vector<std::string_view>> resolve_parts(std::string_view clean, bool clamp) {
  std::vector<std::string_view> parts;
  while (!clean.empty()) {
    size_t slash = clean.find('/');
    std::string_view part = clean.substr(0, slash);
    clean = slash == std::string_view::npos ? std::string_view() : clean.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
    } else if (!parts.empty()) {
      parts.pop_back();
    } else if (!clamp) {
      return std::nullopt;
    }
  }
  return parts;
}

std::string join(const std::vector<std::string_view>& parts, std::string out) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!out.empty() && out.back() != '/') out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}
}  // namespace

Result<std::string> normalize_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return Error::invalid("path contains a NUL byte");
  }
  const std::string clean = unixify(path);
  auto parts = resolve_parts(clean, false);
  if (!parts) return Error::invalid("path {} climbs above the drive root", clean);
  return join(*parts, "/");
}

std::string confined_link_target(std::string_view link_path, std::string_view target) {
  const bool absolute = !target.empty() && target.front() == '/';
  const bool climbs = target == ".." || target.starts_with("../") || target.ends_with("/..") ||
                      target.find("/../") != std::string_view::npos;
  if (!absolute && !climbs) return std::string(target);  // it only descends from the link's folder
  // Up from the link's folder to the root, then down the target resolved from there.
  std::vector<std::string_view> folder = *resolve_parts(link_path, true);
  if (!folder.empty()) folder.pop_back();
  const std::string whole = absolute ? std::string(target) : join(folder, "/") + "/" + std::string(target);
  std::string up;
  for (size_t i = 0; i < folder.size(); ++i) up += i == 0 ? ".." : "/..";
  std::string out = join(*resolve_parts(whole, true), up);
  return out.empty() ? "." : out;
}

Result<std::string> path_to_key(std::string_view path) {
  HM_TRY_ASSIGN(std::string normalized, normalize_path(path));
  return normalized.substr(1);
}

std::string key_to_path(std::string_view key) { return "/" + std::string(key); }

}  // namespace hypermount::drive
