#include "cli/folder_export.hpp"

#include "cli/interrupts.hpp"
#include "drive/posix_stat.hpp"
#include "util/log.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace hypermount::cli {

namespace {

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

class TreeExport {
 public:
  TreeExport(node::DriveSession& session, Progress& progress) : d_(session), progress_(progress) {}

  Status entry(const std::string& path, const std::string& out, const drive::Stat& stat) {
    if (interrupted()) return Error{Errc::Cancelled, "interrupted"};
    if (stat.is_directory()) return folder(path, out, stat);
    HM_TRY(replace(out));
    if (stat.is_file()) {
      HM_TRY(file(path, out));
    } else if (stat.is_symlink()) {
      if (::symlink(stat.linkname.value_or("").c_str(), out.c_str()) != 0) return Error::io(errno, "creating the symlink {}", out);
    } else {
      const dev_t dev = stat.device ? makedev(stat.device->major_id, stat.device->minor_id) : 0;
      if (::mknod(out.c_str(), (stat.mode & ~07777U) | 0600, dev) != 0) return Error::io(errno, "creating {}", out);
    }
    return finish_entry(out, stat);
  }

 private:
  // Something other than a folder at `out` goes (a folder stays: the export merges into it).
  static Status replace(const std::string& out) {
    struct stat st {};
    if (::lstat(out.c_str(), &st) != 0) return {};
    if (S_ISDIR(st.st_mode)) return Error{Errc::IsDir, fmt::format("{} is a folder", out)};
    if (::unlink(out.c_str()) != 0) return Error::io(errno, "replacing {}", out);
    return {};
  }

  Status folder(const std::string& path, const std::string& out, const drive::Stat& stat) {
    if (::mkdir(out.c_str(), 0700) != 0 && errno != EEXIST) return Error::io(errno, "creating the folder {}", out);
    auto entries = d_.run([&] { return d_.active().readdir(path); });
    if (!entries) return entries.error();
    for (const auto& e : *entries) HM_TRY(entry(join(path, e.name), join(out, e.name), e.stat));
    return finish_entry(out, stat);  // last: writing into it changed its mtime
  }

  Status file(const std::string& path, const std::string& out) {
    auto content = d_.run([&] { return d_.active().content_of(path); });
    if (!content) return content.error();
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Error::io(errno, "creating {}", out);
    Status copied = copy(*content, fd, out);
    if (::close(fd) != 0 && copied) copied = Error::io(errno, "writing {}", out);
    HM_TRY(copied);
    progress_.update(bytes_ += content->size, ++files_);
    return {};
  }

  // Local blocks go by sendfile from the core's data file; missing ones are fetched and written.
  Status copy(const drive::FileContent& content, int fd, const std::string& out) {
    constexpr size_t kPiece = 32 * drive::Drive::kMaxBlockSize;
    for (uint64_t offset = 0; offset < content.size;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kPiece, content.size - offset));
      if (auto extent = d_.active().local_extent(content, offset, want); extent && extent->length > 0) {
        off_t from = static_cast<off_t>(extent->position);
        ssize_t n = ::sendfile(fd, extent->fd, &from, extent->length);
        if (n <= 0) return Error::io(n < 0 ? errno : EIO, "writing {}", out);
        offset += static_cast<uint64_t>(n);
        continue;
      }
      auto bytes = d_.run([&] { return d_.active().read(content, offset, want); });
      if (!bytes) return bytes.error();
      if (bytes->empty()) return Error::corrupt("{}: the content ends early", out);
      for (size_t put = 0; put < bytes->size();) {
        ssize_t n = ::write(fd, bytes->data() + put, bytes->size() - put);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::io(errno, "writing {}", out);
        put += static_cast<size_t>(n);
      }
      offset += bytes->size();
    }
    return {};
  }

  // Owner (root only), attributes, permissions and times, in that order (chown clears setuid).
  Status finish_entry(const std::string& out, const drive::Stat& stat) {
    if (::geteuid() == 0 && ::lchown(out.c_str(), stat.uid, stat.gid) != 0) {
      return Error::io(errno, "setting the owner of {}", out);
    }
    for (const std::string& name : stat.xattr_names()) {
      auto value = stat.xattr(name);
      if (::lsetxattr(out.c_str(), name.c_str(), value->data(), value->size(), 0) != 0) {
        // Symlinks take no user.* attributes on Linux; other file systems take none at all.
        log::warn("cli", "{}: attribute {} not kept: {}", out, name, std::strerror(errno));
      }
    }
    if (!stat.is_symlink() && ::chmod(out.c_str(), stat.mode & 07777) != 0) {
      return Error::io(errno, "setting the mode of {}", out);
    }
    const timespec times[2] = {drive::ms_to_timespec(stat.access_time_ms()), drive::ms_to_timespec(stat.mtime_ms)};
    if (::utimensat(AT_FDCWD, out.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return Error::io(errno, "setting the times of {}", out);
    }
    return {};
  }

  node::DriveSession& d_;
  Progress& progress_;
  uint64_t bytes_ = 0;
  uint64_t files_ = 0;
};

}  // namespace

Status export_tree(node::DriveSession& session, std::string_view path, const std::string& dir,
                   Progress& progress) {
  auto stat = session.run([&] { return session.active().lstat(path); });
  if (!stat) return stat.error();
  TreeExport tree(session, progress);
  std::string target = dir;
  if (!stat->is_directory()) {  // a single entry lands in the folder under its own name
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::io(errno, "creating the folder {}", dir);
    std::string_view name = path.substr(path.find_last_of('/') + 1);
    target = join(dir, name);
  }
  return tree.entry(std::string(path), target, *stat);
}

}  // namespace hypermount::cli
