// POSIX views of hyperdrive Stats (struct stat for getattr/ls) and time conversions between
// the reference's milliseconds and timespec (shared/spec/hyperdrive.md §4.1). Any thread.
#pragma once

#include "drive/stat.hpp"

#include <sys/stat.h>
#include <time.h>

namespace hypermount::drive {

// Block size reported in st_blksize (the unit st_blocks is not counted in: that is 512).
constexpr blksize_t kPosixBlockSize = 4096;

timespec ms_to_timespec(uint64_t ms);
// Rounds down to whole milliseconds; times before the epoch become 0.
uint64_t timespec_to_ms(const timespec& ts);

// A struct stat for `st`: st_mode = mode, nlink 1 (unknown link count, also for
// directories), uid/gid as stored, st_rdev = a device's number, st_size = size (the target
// length for symlinks, as POSIX expects of lstat), st_blocks = 512-byte units covering
// st_size, mtime/ctime from the Stat, atime the one set explicitly (kAccessTimeKey), else the
// mtime (the reference stores none and reports "now").
// st_ino and st_dev are left 0 for the caller.
struct stat to_posix_stat(const Stat& st);

}  // namespace hypermount::drive
