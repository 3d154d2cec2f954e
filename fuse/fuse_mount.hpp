// A FUSE mount served from the libuv loop: the session fd is polled by the loop, requests are
// translated into FsBackend calls and answered when those complete. Loop thread only.
#pragma once

#include "fuse/fs_backend.hpp"
#include "fuse/inode_table.hpp"

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

struct fuse_session;

namespace hypermount::fuse {

struct MountOptions {
  std::string mountpoint;
  std::string fsname = "hypermount";  // shown by mount(8) and df(1)
  bool read_only = true;
  bool allow_other = false;
  bool default_permissions = false;
  bool debug = false;
  double entry_timeout = 1.0;
  double attr_timeout = 1.0;
  double negative_timeout = 0.0;
  // When set, every entry reports these owners instead of the stored ones.
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  uint32_t umask = 0;
};

class FuseMount {
 public:
  // Mounts `options.mountpoint` and starts answering requests on `loop`. The backend must
  // outlive the mount. `on_unmounted` runs once when the kernel ends the session (fusermount3
  // -u, umount) or after stop().
  static Result<std::unique_ptr<FuseMount>> start(uv_loop_t* loop, FsBackend& backend,
                                                  MountOptions options,
                                                  std::function<void()> on_unmounted);
  ~FuseMount();
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Unmounts and stops polling; pending requests are answered by their backend calls later
  // (the kernel has dropped them). Safe to call twice.
  void stop();

  // Tells the kernel to drop the cached attributes of every inode it knows (the drive changed
  // underneath: a remote writer appended). Pages stay; a changed size or mtime drops them.
  void invalidate_attributes();

  // State the request handlers (fuse_operations.cpp) work on.
  FsBackend& backend() { return backend_; }
  InodeTable& inodes() { return inodes_; }
  const MountOptions& options() const { return options_; }
  // False once the session is gone: a backend completion that arrives later must not reply.
  std::weak_ptr<bool> alive() const { return alive_; }

 private:
  FuseMount(FsBackend& backend, MountOptions options, std::function<void()> on_unmounted);
  static void on_readable(uv_poll_t* poll, int status, int events);

  FsBackend& backend_;
  MountOptions options_;
  std::function<void()> on_unmounted_;
  InodeTable inodes_;
  fuse_session* session_ = nullptr;
  uv_poll_t* poll_ = nullptr;  // freed in its close callback
  bool mounted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hypermount::fuse
