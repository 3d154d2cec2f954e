#include "cli/drive_path_arg.hpp"

#include <sys/stat.h>

namespace hypermount::cli {

Result<DrivePath> parse_drive_path(std::string_view text) {
  size_t scheme = text.find("://");
  size_t slash = text.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  DrivePath out;
  auto url = drive::parse_drive_url(text.substr(0, slash));
  if (!url) {
    struct stat st {};
    if (::lstat(std::string(text).c_str(), &st) == 0) {
      return Error::invalid("'{}' is a local {}, not a drive key (hex, hyper://KEY or dat://KEY)", text,
                            S_ISDIR(st.st_mode) ? "folder" : "file");
    }
    return Error::invalid("'{}' is not a drive key (hex, hyper://KEY or dat://KEY, then /PATH)", text);
  }
  out.drive = *url;
  if (slash != std::string_view::npos && slash + 1 < text.size()) out.path = std::string(text.substr(slash));
  return out;
}

}  // namespace hypermount::cli
