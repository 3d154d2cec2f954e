#include "drive/path.hpp"

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

Result<std::string> normalize_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return Error::invalid("path contains a NUL byte");
  }
  const std::string clean = unixify(path);
  std::vector<std::string_view> parts;
  std::string_view rest = clean;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return Error::invalid("path {} climbs above the drive root", clean);
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    out.push_back('/');
    out.append(part);
  }
  if (out.empty()) out = "/";
  return out;
}

Result<std::string> path_to_key(std::string_view path) {
  HM_TRY_ASSIGN(std::string normalized, normalize_path(path));
  return normalized.substr(1);
}

std::string key_to_path(std::string_view key) { return "/" + std::string(key); }

}  // namespace hypermount::drive
