#include "fuse/errno_map.hpp"

#include <cerrno>

namespace hypermount::fuse {

int errno_for(const Error& error) {
  switch (error.code()) {
    case Errc::NotFound: return ENOENT;
    case Errc::Exists: return EEXIST;
    case Errc::NotDir: return ENOTDIR;
    case Errc::IsDir: return EISDIR;
    case Errc::NotEmpty: return ENOTEMPTY;
    case Errc::ReadOnly: return EROFS;
    case Errc::InvalidArgument: return EINVAL;
    case Errc::Corrupt: return EIO;
    case Errc::Io: return error.sys_errno() != 0 ? error.sys_errno() : EIO;
    // fetch_timeout ran out: a read error, as mount_options.hpp documents (not ETIMEDOUT,
    // which tools report as a network error).
    case Errc::Timeout: return EIO;
    case Errc::Unavailable: return EIO;
    case Errc::Cancelled: return EINTR;
    case Errc::Unsupported: return ENOTSUP;
    case Errc::Protocol: return EIO;
    case Errc::Loop: return ELOOP;
    case Errc::Busy: return EBUSY;
    case Errc::CrossDevice: return EXDEV;
  }
  return EIO;
}

}  // namespace hypermount::fuse
