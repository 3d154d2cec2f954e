#include "fuse/fuse_mount.hpp"

#include <poll.h>

#include "fuse/fuse_operations.hpp"
#include "fuse/open_files.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace hypermount::fuse {

FuseMount::FuseMount(FsBackend& backend, MountOptions options, std::function<void()> on_unmounted)
    : backend_(backend), options_(std::move(options)), on_unmounted_(std::move(on_unmounted)) {}

Result<std::unique_ptr<FuseMount>> FuseMount::start(uv_loop_t* loop, FsBackend& backend,
                                                    MountOptions options,
                                                    std::function<void()> on_unmounted) {
  std::unique_ptr<FuseMount> mount(new FuseMount(backend, std::move(options), std::move(on_unmounted)));
  const MountOptions& o = mount->options_;
  std::string opts = fmt::format("fsname={},subtype=hypermount", o.fsname);
  if (o.read_only) opts += ",ro";
  if (o.allow_other) opts += ",allow_other";
  if (o.default_permissions) opts += ",default_permissions";
  std::vector<std::string> argv_strings = {"hypermount", "-o", opts};
  if (o.debug) argv_strings.push_back("-d");
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops& ops = fuse_operations();
  mount->session_ = fuse_session_new(&args, &ops, sizeof ops, mount.get());
  fuse_opt_free_args(&args);  // fuse_session_new may have copied them into its own array
  if (mount->session_ == nullptr) return Error::invalid("FUSE rejected the mount options {}", opts);
  if (fuse_session_mount(mount->session_, o.mountpoint.c_str()) != 0) {
    return Error::io(errno ? errno : EIO, "mounting {} (is /dev/fuse there, the folder empty?)",
                     o.mountpoint);
  }
  mount->mounted_ = true;
  mount->poll_ = new uv_poll_t;
  mount->poll_->data = mount.get();
  if (int rc = uv_poll_init(loop, mount->poll_, fuse_session_fd(mount->session_)); rc != 0) {
    delete mount->poll_;
    mount->poll_ = nullptr;
    return Error::io(-rc, "polling the FUSE session of {}", o.mountpoint);
  }
  uv_poll_start(mount->poll_, UV_READABLE, on_readable);
  backend.set_requests_waiting([fd = fuse_session_fd(mount->session_)]() {
    pollfd readable{fd, POLLIN, 0};
    return ::poll(&readable, 1, 0) > 0 && (readable.revents & POLLIN) != 0;
  });
  log::info("fuse", "mounted at {}", o.mountpoint);  // not fsname: it holds a prefix of the key
  return mount;
}

void FuseMount::on_readable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<FuseMount*>(poll->data);
  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF: that is how the session ends when the file system is
    // unmounted from outside (fusermount3 -u, umount), so it is no error then.
    if (status == UV_EBADF) {
      log::info("fuse", "the kernel closed the FUSE session of {}", self->options_.mountpoint);
    } else {
      log::error("fuse", "polling the FUSE session failed: {}", uv_strerror(status));
    }
    self->stop();
    return;
  }
  fuse_buf buf{};
  int rc = fuse_session_receive_buf(self->session_, &buf);
  if (rc == -EINTR || rc == -EAGAIN) {
    std::free(buf.mem);
    return;
  }
  if (rc <= 0 || fuse_session_exited(self->session_)) {
    std::free(buf.mem);
    self->stop();
    return;
  }
  fuse_session_process_buf(self->session_, &buf);
  std::free(buf.mem);
}

void FuseMount::invalidate_attributes() {
  if (!mounted_) return;
  note_drive_changed();
  for (uint64_t ino : inodes_.known()) {
    // A negative offset invalidates the attributes only: no page lock is taken, so this cannot
    // wait on a read this loop has yet to answer.
    int rc = fuse_lowlevel_notify_inval_inode(session_, ino, -1, 0);
    if (rc != 0 && rc != -ENOENT) log::debug("fuse", "notify inval inode {}: {}", ino, rc);
  }
}

void FuseMount::stop() {
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  if (session_ != nullptr) {
    backend_.set_requests_waiting(nullptr);  // the descriptor it polls closes here
    alive_.reset();
    if (mounted_) fuse_session_unmount(session_);
    mounted_ = false;
    fuse_session_destroy(session_);
    session_ = nullptr;
    log::info("fuse", "unmounted {}", options_.mountpoint);
    if (on_unmounted_) {
      auto done = std::move(on_unmounted_);
      on_unmounted_ = nullptr;
      done();
    }
  }
}

FuseMount::~FuseMount() {
  stop();
  drop_open_files();
}

}  // namespace hypermount::fuse
