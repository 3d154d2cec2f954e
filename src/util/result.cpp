#include "util/result.hpp"

#include <cstring>

namespace hypermount {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::NotFound: return "not found";
    case Errc::Exists: return "exists";
    case Errc::NotDir: return "not a directory";
    case Errc::IsDir: return "is a directory";
    case Errc::NotEmpty: return "not empty";
    case Errc::ReadOnly: return "read-only";
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::Corrupt: return "corrupt";
    case Errc::Io: return "i/o error";
    case Errc::Timeout: return "timed out";
    case Errc::Unavailable: return "unavailable";
    case Errc::Cancelled: return "cancelled";
    case Errc::Unsupported: return "unsupported";
    case Errc::Protocol: return "protocol error";
    case Errc::Loop: return "mount cycle";
    case Errc::Busy: return "busy";
    case Errc::CrossDevice: return "cross-drive";
  }
  return "unknown error";
}

std::string Error::to_string() const {
  std::string text = fmt::format("{}: {}", errc_name(code_), message_);
  if (sys_errno_ != 0) text += fmt::format(" ({})", std::strerror(sys_errno_));
  return text;
}

}  // namespace hypermount
