#include "drive/posix_stat.hpp"

#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace hypermount::drive {

timespec ms_to_timespec(uint64_t ms) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
  return ts;
}

uint64_t timespec_to_ms(const timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

struct stat to_posix_stat(const Stat& st) {
  struct stat out;
  std::memset(&out, 0, sizeof(out));
  out.st_mode = static_cast<mode_t>(st.mode);
  out.st_nlink = 1;
  out.st_uid = static_cast<uid_t>(st.uid);
  out.st_gid = static_cast<gid_t>(st.gid);
  if (st.is_device() && st.device) out.st_rdev = makedev(st.device->major_id, st.device->minor_id);
  uint64_t size = st.size;
  if (st.is_symlink() && st.linkname) size = st.linkname->size();
  // Sizes come from peers: clamp what off_t cannot hold instead of wrapping negative.
  size = std::min<uint64_t>(size, static_cast<uint64_t>(std::numeric_limits<off_t>::max()));
  out.st_size = static_cast<off_t>(size);
  out.st_blksize = kPosixBlockSize;
  out.st_blocks = static_cast<blkcnt_t>(size / 512 + (size % 512 != 0 ? 1 : 0));
  out.st_mtim = ms_to_timespec(st.mtime_ms);
  out.st_ctim = ms_to_timespec(st.ctime_ms);
  out.st_atim = ms_to_timespec(st.access_time_ms());
  return out;
}

}  // namespace hypermount::drive
