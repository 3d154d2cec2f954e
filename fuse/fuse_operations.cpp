#include "fuse/fuse_operations.hpp"

#include "fuse/errno_map.hpp"
#include "fuse/fuse_mount.hpp"
#include "util/log.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace hypermount::fuse {

namespace {

FuseMount& mount_of(fuse_req_t req) { return *static_cast<FuseMount*>(fuse_req_userdata(req)); }

// Wraps a completion so that it replies only while the session lives, and turns an error into
// fuse_reply_err with the mapped errno.
template <typename T, typename OnValue>
Callback<T> reply_with(fuse_req_t req, OnValue on_value) {
  std::weak_ptr<bool> alive = mount_of(req).alive();
  return [req, alive, on_value = std::move(on_value)](Result<T> result) mutable {
    if (alive.expired()) return;
    if (!result) {
      int err = errno_for(result.error());
      if (err == EIO) log::warn("fuse", "{}", result.error().to_string());
      fuse_reply_err(req, err);
      return;
    }
    on_value(std::move(result).value());
  };
}

struct stat to_stat(const FuseMount& m, uint64_t ino, const Attr& a) {
  struct stat st {};
  st.st_ino = ino;
  st.st_mode = a.mode & ~(m.options().umask & 07777);
  st.st_nlink = a.nlink;
  st.st_uid = m.options().uid.value_or(a.uid);
  st.st_gid = m.options().gid.value_or(a.gid);
  st.st_size = static_cast<off_t>(a.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  st.st_mtim = a.mtime;
  st.st_ctim = a.ctime;
  st.st_atim = a.mtime;
  return st;
}

fuse_entry_param entry_for(FuseMount& m, const std::string& path, const Attr& attr) {
  fuse_entry_param e{};
  e.ino = m.inodes().lookup(path);
  e.attr = to_stat(m, e.ino, attr);
  e.attr_timeout = m.options().attr_timeout;
  e.entry_timeout = m.options().entry_timeout;
  return e;
}

// Runs `fn(path)` for a known inode, or replies ESTALE.
template <typename Fn>
void with_path(fuse_req_t req, fuse_ino_t ino, Fn fn) {
  auto path = mount_of(req).inodes().path_of(ino);
  if (!path) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  fn(*path);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    FuseMount& m = mount_of(req);
    std::weak_ptr<bool> alive = m.alive();
    m.backend().lstat(path, [req, alive, path](Result<Attr> attr) {
      if (alive.expired()) return;
      FuseMount& mm = mount_of(req);
      if (!attr) {
        if (attr.error().code() == Errc::NotFound && mm.options().negative_timeout > 0) {
          fuse_entry_param e{};
          e.entry_timeout = mm.options().negative_timeout;
          fuse_reply_entry(req, &e);
          return;
        }
        fuse_reply_err(req, errno_for(attr.error()));
        return;
      }
      fuse_entry_param e = entry_for(mm, path, *attr);
      fuse_reply_entry(req, &e);
    });
  });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  mount_of(req).inodes().forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) mount_of(req).inodes().forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  with_path(req, ino, [&](const std::string& path) {
    mount_of(req).backend().lstat(path, reply_with<Attr>(req, [req, ino](Attr attr) {
      struct stat st = to_stat(mount_of(req), ino, attr);
      fuse_reply_attr(req, &st, mount_of(req).options().attr_timeout);
    }));
  });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  with_path(req, ino, [&](const std::string& path) {
    mount_of(req).backend().readlink(path, reply_with<std::string>(req, [req](std::string target) {
      fuse_reply_readlink(req, target.c_str());
    }));
  });
}

// An open directory: its listing, taken once at opendir so offsets stay stable.
struct DirHandle {
  std::string path;
  std::vector<DirEntry> entries;
};

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  with_path(req, ino, [&](const std::string& path) {
    fuse_file_info info = *fi;
    mount_of(req).backend().readdir(
        path, reply_with<std::vector<DirEntry>>(req, [req, info, path](std::vector<DirEntry> entries) mutable {
          auto* handle = new DirHandle{path, std::move(entries)};
          info.fh = reinterpret_cast<uint64_t>(handle);
          info.cache_readdir = mount_of(req).backend().immutable();
          if (fuse_reply_open(req, &info) != 0) delete handle;
        }));
  });
}

// The d_ino of an entry the kernel has no inode for yet (libfuse's FUSE_UNKNOWN_INO). Never 0:
// glibc's readdir skips entries whose d_ino is 0.
constexpr uint64_t kUnknownIno = 0xffffffff;

// Shared by readdir and readdirplus: entries "." and ".." first, then the listing.
void fill_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi, bool plus) {
  auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
  FuseMount& m = mount_of(req);
  auto dot_ino = [&](size_t i) -> uint64_t {
    if (i == 0) return ino;
    size_t slash = handle->path.rfind('/');
    std::string parent = slash == 0 || slash == std::string::npos ? "/" : handle->path.substr(0, slash);
    return m.inodes().find(parent).value_or(kUnknownIno);
  };
  std::vector<char> buf(size);
  size_t used = 0;
  size_t total = handle->entries.size() + 2;
  for (size_t i = static_cast<size_t>(offset); i < total; ++i) {
    std::string name;
    Attr attr;
    attr.mode = S_IFDIR | 0755;
    bool is_dot = i < 2;
    if (is_dot) {
      name = i == 0 ? "." : "..";
    } else {
      name = handle->entries[i - 2].name;
      attr = handle->entries[i - 2].attr;
    }
    size_t n;
    if (plus) {
      fuse_entry_param e{};
      if (!is_dot) {
        e = entry_for(m, InodeTable::join(handle->path, name), attr);
      } else {
        e.attr.st_mode = attr.mode;
        e.attr.st_ino = dot_ino(i);
      }
      n = fuse_add_direntry_plus(req, buf.data() + used, size - used, name.c_str(), &e,
                                 static_cast<off_t>(i + 1));
      if (n > size - used) {
        if (!is_dot) m.inodes().forget(e.ino, 1);  // not handed to the kernel after all
        break;
      }
    } else {
      struct stat st {};
      st.st_mode = attr.mode;
      st.st_ino = is_dot ? dot_ino(i)
                         : m.inodes().find(InodeTable::join(handle->path, name)).value_or(kUnknownIno);
      n = fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &st,
                            static_cast<off_t>(i + 1));
      if (n > size - used) break;
    }
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  fill_dir(req, ino, size, offset, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  fill_dir(req, ino, size, offset, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY && mount_of(req).options().read_only) {
    fuse_reply_err(req, EROFS);
    return;
  }
  with_path(req, ino, [&](const std::string& path) {
    fuse_file_info info = *fi;
    mount_of(req).backend().lstat(path, reply_with<Attr>(req, [req, info](Attr attr) mutable {
      if (S_ISDIR(attr.mode)) {
        fuse_reply_err(req, EISDIR);
        return;
      }
      // A drive version never changes, so the kernel may keep what it read.
      info.keep_cache = mount_of(req).backend().immutable();
      fuse_reply_open(req, &info);
    }));
  });
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  with_path(req, ino, [&](const std::string& path) {
    mount_of(req).backend().read(path, static_cast<uint64_t>(offset), size,
                                 reply_with<Bytes>(req, [req](Bytes bytes) {
                                   fuse_reply_buf(req, reinterpret_cast<const char*>(bytes.data()),
                                                  bytes.size());
                                 }));
  });
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

// getxattr/listxattr: size 0 asks for the length only.
void reply_xattr(fuse_req_t req, size_t size, const char* data, size_t length) {
  if (size == 0) {
    fuse_reply_xattr(req, length);
  } else if (size < length) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, data, length);
  }
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  with_path(req, ino, [&](const std::string& path) {
    std::weak_ptr<bool> alive = mount_of(req).alive();
    mount_of(req).backend().getxattr(path, name, [req, size, alive](Result<Bytes> value) {
      if (alive.expired()) return;
      if (!value) {
        fuse_reply_err(req, value.error().code() == Errc::NotFound ? ENODATA : errno_for(value.error()));
        return;
      }
      reply_xattr(req, size, reinterpret_cast<const char*>(value->data()), value->size());
    });
  });
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  with_path(req, ino, [&](const std::string& path) {
    mount_of(req).backend().listxattr(
        path, reply_with<std::vector<std::string>>(req, [req, size](std::vector<std::string> names) {
          std::string joined;
          for (const auto& n : names) {
            joined += n;
            joined.push_back('\0');
          }
          reply_xattr(req, size, joined.data(), joined.size());
        }));
  });
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  FsStats stats = mount_of(req).backend().statfs();
  struct statvfs st {};
  st.f_bsize = stats.block_size;
  st.f_frsize = stats.block_size;
  st.f_blocks = stats.blocks;
  st.f_files = stats.files;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.releasedir = op_releasedir;
  ops.open = op_open;
  ops.read = op_read;
  ops.release = op_release;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  ops.statfs = op_statfs;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& fuse_operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

}  // namespace hypermount::fuse
