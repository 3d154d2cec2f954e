#include "fuse/fuse_operations.hpp"

#include "fuse/content_stream.hpp"
#include "fuse/errno_map.hpp"
#include "fuse/fuse_mount.hpp"
#include "fuse/open_files.hpp"
#include "util/log.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace hypermount::fuse {

namespace {

// The longest name of one path component, in bytes (statfs f_namemax).
constexpr size_t kNameMax = 255;
// The preferred I/O size: st_blksize, and the largest write the kernel sends us. cp and other
// tools size their buffers from st_blksize, so a file is written 1 MiB at a time instead of
// 128 KiB (eight times fewer requests for the same bytes).
constexpr unsigned kIoSize = 1u << 20;

// Names are at most kNameMax bytes, as statfs says (the kernel only stops FUSE names over 1024).
bool refuse_long_name(fuse_req_t req, const char* name) {
  if (std::strlen(name) <= kNameMax) return false;
  fuse_reply_err(req, ENAMETOOLONG);
  return true;
}

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
  st.st_rdev = static_cast<dev_t>(a.rdev);
  st.st_blksize = kIoSize;
  st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  st.st_mtim = a.mtime;
  st.st_ctim = a.ctime;
  st.st_atim = a.atime;
  return st;
}

fuse_entry_param entry_for(FuseMount& m, const std::string& path, const Attr& attr) {
  fuse_entry_param e{};
  e.ino = m.inodes().lookup(path, attr.identity);
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

void reply_attr(fuse_req_t req, fuse_ino_t ino, Attr attr);

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (refuse_long_name(req, name)) return;
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

// A file removed (or replaced) while open: the attributes it had, with no links left.
void reply_removed_attr(fuse_req_t req, fuse_ino_t ino) {
  OpenInode* inode = open_inode(ino);
  if (inode == nullptr) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  Attr attr = inode->attr;
  attr.nlink = 0;
  reply_attr(req, ino, attr);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto path = mount_of(req).inodes().path_of(ino);
  if (!path) {
    reply_removed_attr(req, ino);
    return;
  }
  mount_of(req).backend().lstat(*path, reply_with<Attr>(req, [req, ino](Attr attr) {
    reply_attr(req, ino, attr);
  }));
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

// Shared by readdir and readdirplus: entries "." and ".." first, then the listing.
void fill_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi, bool plus) {
  auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
  FuseMount& m = mount_of(req);
  auto dot_ino = [&](size_t i) -> uint64_t {
    if (i == 0) return ino;
    return m.inodes().find(InodeTable::parent(handle->path)).value_or(InodeTable::kUnknownIno);
  };
  // Not zeroed: only the `used` bytes the entries fill are sent.
  auto buf = std::make_unique_for_overwrite<char[]>(size);
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
      n = fuse_add_direntry_plus(req, buf.get() + used, size - used, name.c_str(), &e,
                                 static_cast<off_t>(i + 1));
      if (n > size - used) {
        if (!is_dot) m.inodes().forget(e.ino, 1);  // not handed to the kernel after all
        break;
      }
    } else {
      struct stat st {};
      st.st_mode = attr.mode;
      // The number a lookup would give (the same in stat, as `ls -i` expects).
      st.st_ino = is_dot ? dot_ino(i) : m.inodes().number_for(InodeTable::join(handle->path, name), attr.identity);
      n = fuse_add_direntry(req, buf.get() + used, size - used, name.c_str(), &st,
                            static_cast<off_t>(i + 1));
      if (n > size - used) break;
    }
    used += n;
  }
  fuse_reply_buf(req, buf.get(), used);
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

FileHandle* handle_of(const fuse_file_info* fi) {
  return fi == nullptr ? nullptr : reinterpret_cast<FileHandle*>(fi->fh);
}

void commit(fuse_req_t req, fuse_ino_t ino, std::shared_ptr<OpenFile> file, std::function<void(Result<Attr>)> done);

// Commits a file streamed to the drive: once all it took is appended, that content becomes the
// file's at its current path. Where the stream broke (or the file moved to another drive), it
// is given up and the file committed as a staged one.
void commit_stream(fuse_req_t req, fuse_ino_t ino, std::shared_ptr<OpenFile> file,
                   std::function<void(Result<Attr>)> done) {
  file->dirty = false;
  std::weak_ptr<bool> alive = mount_of(req).alive();
  ContentStream* stream = file->stream.get();
  stream->finish([req, ino, file, alive, stream, done](Result<drive::FileContent> appended) {
    if (alive.expired()) return;
    auto path = mount_of(req).inodes().path_of(ino);
    Result<FsBackend::Streamed> adopted = Error{Errc::Cancelled, "removed while open: nothing to commit"};
    if (!appended) {
      adopted = appended.error();
    } else if (path) {
      adopted = mount_of(req).backend().write_streamed(*path, *appended, file->create_mode, file->uid, file->gid);
    }
    if (adopted) {
      stream->adopted();
      file->stream.reset();
      file->kept = std::move(adopted->content);
      if (OpenInode* inode = open_inode(ino)) inode->attr = adopted->attr;
      // The staging file stands for the content from now on: a hole over the kept bytes.
      if (auto sized = file->content.resize(file->kept.size); !sized) return done(sized.error());
      return done(adopted->attr);
    }
    if (!path) return done(adopted.error());  // the stream's blocks go with the file
    log::debug("fuse", "{}: committed from its staging file: {}", *path, adopted.error().to_string());
    if (file->stream.get() == stream) {  // otherwise given up already
      if (auto given = file->end_stream(); !given) {
        file->dirty = true;
        return done(given.error());
      }
    }
    file->dirty = true;
    commit(req, ino, file, done);
  });
}

// Writes a dirty staged (or streamed) file to the drive under the inode's current path (renamed
// files follow their new name), then `done(status)`. A file whose name was removed or replaced
// has none: its writes are dropped, and whatever now lives at its old path is left alone.
void commit(fuse_req_t req, fuse_ino_t ino, std::shared_ptr<OpenFile> file, std::function<void(Result<Attr>)> done) {
  if (!file->dirty) {
    done(Error{Errc::Cancelled, "nothing to commit"});
    return;
  }
  auto path = mount_of(req).inodes().path_of(ino);
  if (!path) {
    done(Error{Errc::Cancelled, "removed while open: nothing to commit"});
    return;
  }
  if (file->stream) return commit_stream(req, ino, std::move(file), std::move(done));
  file->dirty = false;
  mount_of(req).backend().write_file(*path, &file->content, file->kept, file->create_mode, file->uid, file->gid,
                                     [ino, file, done = std::move(done)](Result<Attr> result) {
                                       if (!result) file->dirty = true;
                                       OpenInode* inode = open_inode(ino);
                                       if (result && inode != nullptr) inode->attr = *result;
                                       done(std::move(result));
                                     });
}

// Commits and replies 0 (or the error).
void commit_and_reply(fuse_req_t req, fuse_ino_t ino, std::shared_ptr<OpenFile> file, FileHandle* to_close) {
  std::weak_ptr<bool> alive = mount_of(req).alive();
  commit(req, ino, file, [req, ino, alive, to_close](Result<Attr> result) {
    if (to_close) close_handle(ino, to_close);
    if (alive.expired()) return;
    if (!result && result.error().code() != Errc::Cancelled) {
      log::warn("fuse", "committing a file: {}", result.error().to_string());
      fuse_reply_err(req, errno_for(result.error()));
      return;
    }
    fuse_reply_err(req, 0);
  });
}

const fuse_ctx& ctx_of(fuse_req_t req) { return *fuse_req_ctx(req); }

// Attribute namespaces the kernel interprets (ACLs, security labels, capabilities): a drive
// cannot enforce them, so they are never stored.
bool kernel_namespace(std::string_view name) {
  return name.starts_with("system.") || name.starts_with("security.");
}

bool refuse_if_read_only(fuse_req_t req) {
  FuseMount& m = mount_of(req);
  if (m.options().read_only || !m.backend().writable()) {
    fuse_reply_err(req, EROFS);
    return true;
  }
  return false;
}

// Opens a handle on `ino` reading `opened` (nullopt: what the open inode reads already). A
// handle for writing shares the inode's staged content, made if it has none yet: a staging file
// holding a copy of the file's bytes (none if `truncate`).
void open_with(fuse_req_t req, fuse_ino_t ino, std::optional<OpenedFile> opened, bool writing,
               bool truncate, std::function<void(FileHandle*)> done) {
  auto finish = [req, ino, opened, writing, truncate, done = std::move(done)](std::shared_ptr<OpenFile> fresh) {
    auto handle = open_handle(ino, opened, writing, std::move(fresh), truncate);
    if (!handle) {
      fuse_reply_err(req, errno_for(handle.error()));
      return;
    }
    done(*handle);
  };
  OpenInode* inode = open_inode(ino);
  if (!writing || (inode != nullptr && inode->staged)) {
    finish(nullptr);
    return;
  }
  if (!opened && inode == nullptr) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  const OpenedFile& source = opened ? *opened : OpenedFile{inode->version, inode->attr};
  auto staging = mount_of(req).backend().new_staging_file();
  if (!staging) {
    log::warn("fuse", "{}", staging.error().to_string());
    fuse_reply_err(req, errno_for(staging.error()));
    return;
  }
  auto fresh = std::make_shared<OpenFile>(std::move(*staging));
  if (truncate || source.attr.size == 0) {
    fresh->may_stream = true;
    finish(fresh);
    return;
  }
  // Bytes that lie locally are not copied now: most files opened for writing without O_TRUNC
  // are appended to (>>), and those grow in place when committed.
  if (source.version->local_extent(0, static_cast<size_t>(source.attr.size))) {
    if (auto sized = fresh->content.resize(source.attr.size); !sized) {
      fuse_reply_err(req, errno_for(sized.error()));
      return;
    }
    fresh->kept = KeptPrefix{source.version, source.attr.size};
    finish(fresh);
    return;
  }
  std::weak_ptr<bool> alive = mount_of(req).alive();
  std::shared_ptr<FileVersion> version = source.version;
  version->copy_into(fresh->content, source.attr.size, [req, alive, version, fresh, finish](Status copied) {
    if (alive.expired()) return;
    if (!copied) {
      fuse_reply_err(req, errno_for(copied.error()));
      return;
    }
    finish(fresh);
  });
}

// Opens a handle for writing on `ino`, the file at `path` (on its open inode if it has one).
void open_for_writing(fuse_req_t req, fuse_ino_t ino, const std::string& path, bool truncate,
                      std::function<void(FileHandle*)> opened) {
  if (open_inode(ino) != nullptr) {
    open_with(req, ino, std::nullopt, true, truncate, std::move(opened));
    return;
  }
  mount_of(req).backend().open_file(
      path, reply_with<OpenedFile>(req, [req, ino, truncate, opened = std::move(opened)](OpenedFile file) {
        open_with(req, ino, std::move(file), true, truncate, opened);
      }));
}

// A file opens on what its path holds now; a removed file still open (opened again through
// /proc/PID/fd) on what it holds already.
void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
  if (writing && refuse_if_read_only(req)) return;
  bool truncate = (fi->flags & O_TRUNC) != 0;
  fuse_file_info info = *fi;
  // A drive version never changes, so the kernel may keep what it read.
  info.keep_cache = mount_of(req).backend().immutable();
  auto reply_open = [req, ino, info](FileHandle* handle) mutable {
    info.fh = reinterpret_cast<uint64_t>(handle);
    if (fuse_reply_open(req, &info) != 0) close_handle(ino, handle);
  };
  auto path = mount_of(req).inodes().path_of(ino);
  if (!path) {
    open_with(req, ino, std::nullopt, writing, truncate, reply_open);
    return;
  }
  mount_of(req).backend().open_file(*path, reply_with<OpenedFile>(req, [req, ino, writing, truncate, reply_open](OpenedFile file) {
    open_with(req, ino, std::move(file), writing, truncate, reply_open);
  }));
}

// Creates the missing file `path` (empty, committed at once) and opens it.
void create_new(fuse_req_t req, std::string path, mode_t mode, fuse_file_info info) {
  const fuse_ctx& ctx = ctx_of(req);
  uint32_t uid = ctx.uid, gid = ctx.gid;
  mount_of(req).backend().write_file(
      path, nullptr, {}, mode & 07777, uid, gid,
      reply_with<Attr>(req, [req, path, info, mode, uid, gid](Attr attr) mutable {
        FuseMount& m = mount_of(req);
        m.inodes().drop_path(path);  // a new file: a new inode
        fuse_entry_param e = entry_for(m, path, attr);
        open_for_writing(req, e.ino, path, true, [req, e, info, mode, uid, gid](FileHandle* handle) mutable {
          handle->file->create_mode = mode & 07777;
          handle->file->uid = uid;
          handle->file->gid = gid;
          info.fh = reinterpret_cast<uint64_t>(handle);
          if (fuse_reply_create(req, &e, &info) != 0) close_handle(e.ino, handle);
        });
      }));
}

// create on a name that exists after all (the kernel's view was stale): O_EXCL is EEXIST,
// otherwise the file is opened as it is (emptied with O_TRUNC).
void create_existing(fuse_req_t req, std::string path, Attr attr, fuse_file_info info) {
  if (info.flags & O_EXCL) {
    fuse_reply_err(req, EEXIST);
    return;
  }
  if (S_ISDIR(attr.mode)) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  FuseMount& m = mount_of(req);
  fuse_entry_param e = entry_for(m, path, attr);
  open_for_writing(req, e.ino, path, (info.flags & O_TRUNC) != 0, [req, e, info](FileHandle* handle) mutable {
    info.fh = reinterpret_cast<uint64_t>(handle);
    if (fuse_reply_create(req, &e, &info) != 0) close_handle(e.ino, handle);
  });
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (refuse_if_read_only(req) || refuse_long_name(req, name)) return;
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    fuse_file_info info = *fi;
    std::weak_ptr<bool> alive = mount_of(req).alive();
    mount_of(req).backend().lstat(path, [req, alive, path, mode, info](Result<Attr> attr) {
      if (alive.expired()) return;
      if (attr) {
        create_existing(req, path, *attr, info);
      } else if (attr.error().code() == Errc::NotFound) {
        create_new(req, path, mode, info);
      } else {
        fuse_reply_err(req, errno_for(attr.error()));
      }
    });
  });
}

// Replies with `length` bytes of the file `fd` from `position`, spliced to the kernel where it can.
void reply_from_fd(fuse_req_t req, int fd, uint64_t position, size_t length) {
  fuse_bufvec buf{};
  buf.count = 1;
  buf.buf[0].size = length;
  buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = fd;
  buf.buf[0].pos = static_cast<off_t>(position);
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

// Replies with bytes of `version` (spliced from the core's data file where they are present).
void read_version(fuse_req_t req, std::shared_ptr<FileVersion> version, uint64_t offset, size_t size) {
  if (auto extent = version->local_extent(offset, size)) {
    reply_from_fd(req, extent->fd, extent->position, extent->length);
    return;
  }
  version->read(offset, size, reply_with<Bytes>(req, [req, version](Bytes bytes) {
    fuse_reply_buf(req, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }));
}

// Staged content first; otherwise the version the file was opened with (still there after its
// name is removed or replaced), or what its path holds after the drive changed underneath.
void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  if (auto file = open_file_of(ino)) {
    if (auto given = file->end_stream(); !given) {  // read back from the staging file
      fuse_reply_err(req, errno_for(given.error()));
      return;
    }
    if (static_cast<uint64_t>(offset) < file->kept.size) {
      if (auto copied = file->materialize(); !copied) {
        fuse_reply_err(req, errno_for(copied.error()));
        return;
      }
    }
    uint64_t staged = file->content.size();
    uint64_t start = std::min(static_cast<uint64_t>(offset), staged);
    reply_from_fd(req, file->content.fd(), start, static_cast<size_t>(std::min<uint64_t>(size, staged - start)));
    return;
  }
  OpenInode* inode = open_inode(ino);
  if (inode == nullptr || !inode->version) {
    fuse_reply_err(req, EBADF);
    return;
  }
  auto path = mount_of(req).inodes().path_of(ino);
  if (!inode->changed || !path) {
    read_version(req, inode->version, static_cast<uint64_t>(offset), size);
    return;
  }
  inode->changed = false;
  std::weak_ptr<bool> alive = mount_of(req).alive();
  mount_of(req).backend().open_file(*path, [req, alive, ino, offset, size](Result<OpenedFile> now) {
    if (alive.expired()) return;
    OpenInode* open = open_inode(ino);
    if (open == nullptr) {
      fuse_reply_err(req, EBADF);
      return;
    }
    if (now) {  // otherwise (removed, no longer a file) it keeps what it had
      open->version = now->version;
      open->attr = now->attr;
    }
    read_version(req, open->version, static_cast<uint64_t>(offset), size);
  });
}

// Streams the write of a new file written in order (true), starting the stream at its first
// write; gives the stream up when the write is anything else (false: the write is staged).
bool stream_write(fuse_req_t req, fuse_ino_t ino, OpenFile& file, uint64_t at, ByteView bytes) {
  if (file.may_stream && at == 0 && file.size() == 0 && !bytes.empty()) {
    file.may_stream = false;
    if (auto path = mount_of(req).inodes().path_of(ino)) file.stream = mount_of(req).backend().start_stream(*path);
  }
  if (!file.stream || at != file.stream->size() || !file.stream->healthy()) {
    if (auto given = file.end_stream(); !given) {
      fuse_reply_err(req, errno_for(given.error()));
      return true;
    }
    return false;
  }
  mark_changed(file);
  std::weak_ptr<bool> alive = mount_of(req).alive();
  file.stream->write(bytes, [req, alive, size = bytes.size()] {
    if (!alive.expired()) fuse_reply_write(req, size);
  });
  return true;
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  FileHandle* handle = handle_of(fi);
  if (handle == nullptr) {
    fuse_reply_err(req, EBADF);
    return;
  }
  uint64_t at = (fi->flags & O_APPEND) ? handle->file->size() : static_cast<uint64_t>(offset);
  if (at > kMaxFileSize || size > kMaxFileSize - at) {
    fuse_reply_err(req, EFBIG);
    return;
  }
  const ByteView bytes(reinterpret_cast<const uint8_t*>(buf), size);
  if (stream_write(req, ino, *handle->file, at, bytes)) return;
  StagingFile& content = handle->file->content;
  if (at < handle->file->kept.size) {  // a write into the old bytes: they are copied first
    if (auto copied = handle->file->materialize(); !copied) {
      fuse_reply_err(req, errno_for(copied.error()));
      return;
    }
  }
  auto written = content.write(at, bytes);
  // A full store: give back the space of removed and replaced files, then try once more.
  if (!written && written.error().sys_errno() == ENOSPC && mount_of(req).backend().give_back() > 0) {
    written = content.write(at, bytes);
  }
  if (!written) {
    log::warn("fuse", "{}", written.error().to_string());
    fuse_reply_err(req, errno_for(written.error()));
    return;
  }
  mark_changed(*handle->file);
  fuse_reply_write(req, size);
}

void op_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FileHandle* handle = handle_of(fi);
  if (handle == nullptr || !handle->file) {
    fuse_reply_err(req, 0);
    return;
  }
  commit_and_reply(req, ino, handle->file, nullptr);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) { op_flush(req, ino, fi); }

void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FileHandle* handle = handle_of(fi);
  if (handle == nullptr || !handle->file) {
    if (handle != nullptr) close_handle(ino, handle);
    fuse_reply_err(req, 0);
    return;
  }
  commit_and_reply(req, ino, handle->file, handle);
}

// Replies with the attributes of `ino`, its staged size (and, while changes wait for their
// commit, the time of the last one) taking precedence.
void reply_attr(fuse_req_t req, fuse_ino_t ino, Attr attr) {
  if (auto file = open_file_of(ino); file && S_ISREG(attr.mode)) {
    attr.size = file->size();
    if (file->dirty) attr.mtime = attr.ctime = file->changed_at;
  }
  struct stat st = to_stat(mount_of(req), ino, attr);
  fuse_reply_attr(req, &st, mount_of(req).options().attr_timeout);
}

// setattr on a file removed while open: ftruncate resizes its staged content; the rest only
// changes what fstat shows until it is closed (nothing of it reaches the drive).
void setattr_removed(fuse_req_t req, fuse_ino_t ino, const struct stat& attr, int to_set) {
  OpenInode* inode = open_inode(ino);
  if (inode == nullptr) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (to_set & FUSE_SET_ATTR_SIZE) {
    uint64_t size = static_cast<uint64_t>(attr.st_size);
    if (size > kMaxFileSize) {
      fuse_reply_err(req, EFBIG);
      return;
    }
    if (!inode->staged) {
      fuse_reply_err(req, EBADF);  // not open for writing
      return;
    }
    if (auto resized = inode->staged->resize(size); !resized) {
      fuse_reply_err(req, errno_for(resized.error()));
      return;
    }
  }
  if (to_set & FUSE_SET_ATTR_MODE) inode->attr.mode = (inode->attr.mode & S_IFMT) | (attr.st_mode & 07777);
  if (to_set & FUSE_SET_ATTR_UID) inode->attr.uid = attr.st_uid;
  if (to_set & FUSE_SET_ATTR_GID) inode->attr.gid = attr.st_gid;
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    clock_gettime(CLOCK_REALTIME, &inode->attr.atime);
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    inode->attr.atime = attr.st_atim;
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    clock_gettime(CLOCK_REALTIME, &inode->attr.mtime);
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    inode->attr.mtime = attr.st_mtim;
  }
  reply_removed_attr(req, ino);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  if (refuse_if_read_only(req)) return;
  auto path = mount_of(req).inodes().path_of(ino);
  if (!path) {
    setattr_removed(req, ino, *attr, to_set);
    return;
  }
  AttrChange change;
  if (to_set & FUSE_SET_ATTR_MODE) change.mode = attr->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) change.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) change.gid = attr->st_gid;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    change.atime = now;
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    change.atime = attr->st_atim;
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    change.mtime = now;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    change.mtime = attr->st_mtim;
  }
  bool has_meta = change.mode || change.uid || change.gid || change.atime || change.mtime;
  std::shared_ptr<OpenFile> file = open_file_of(ino);
  std::string p = *path;
  // Metadata last, so that a commit of staged content does not undo it.
  auto apply_meta = [req, ino, p, change, has_meta]() {
    if (!has_meta) {
      mount_of(req).backend().lstat(p, reply_with<Attr>(req, [req, ino](Attr a) { reply_attr(req, ino, a); }));
      return;
    }
    mount_of(req).backend().change_attr(p, change, reply_with<Attr>(req, [req, ino](Attr a) {
      reply_attr(req, ino, a);
    }));
  };
  if (to_set & FUSE_SET_ATTR_SIZE) {
    uint64_t size = static_cast<uint64_t>(attr->st_size);
    if (size > kMaxFileSize) {
      fuse_reply_err(req, EFBIG);
      return;
    }
    if (file) {
      if (file->size() != size) {
        if (auto resized = file->resize(size); !resized) {
          fuse_reply_err(req, errno_for(resized.error()));
          return;
        }
        mark_changed(*file);
      }
    } else {
      mount_of(req).backend().truncate(p, size, reply_with<Attr>(req, [apply_meta](Attr) { apply_meta(); }));
      return;
    }
  }
  if (file && file->dirty && has_meta) {
    std::weak_ptr<bool> alive = mount_of(req).alive();
    commit(req, ino, file, [req, alive, apply_meta](Result<Attr> result) {
      if (alive.expired()) return;
      if (!result && result.error().code() != Errc::Cancelled) {
        fuse_reply_err(req, errno_for(result.error()));
        return;
      }
      apply_meta();
    });
    return;
  }
  apply_meta();
}

// Replies with a new entry at `path` (fresh inode).
Callback<Attr> reply_new_entry(fuse_req_t req, std::string path) {
  return reply_with<Attr>(req, [req, path](Attr attr) {
    FuseMount& m = mount_of(req);
    m.inodes().drop_path(path);
    fuse_entry_param e = entry_for(m, path, attr);
    fuse_reply_entry(req, &e);
  });
}

Callback<void> reply_done(fuse_req_t req) {
  std::weak_ptr<bool> alive = mount_of(req).alive();
  return [req, alive](Status status) {
    if (alive.expired()) return;
    fuse_reply_err(req, status ? 0 : errno_for(status.error()));
  };
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (refuse_if_read_only(req) || refuse_long_name(req, name)) return;
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    const fuse_ctx& ctx = ctx_of(req);
    mount_of(req).backend().mkdir(path, mode & 07777, ctx.uid, ctx.gid, reply_new_entry(req, path));
  });
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  if (refuse_if_read_only(req) || refuse_long_name(req, name)) return;
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    const fuse_ctx& ctx = ctx_of(req);
    mount_of(req).backend().symlink(target, path, ctx.uid, ctx.gid, reply_new_entry(req, path));
  });
}

// A regular file is created empty (tar x makes files this way); a FIFO, socket or device is
// an entry without content (the kernel serves FIFOs and bound sockets itself, and the mount is
// nodev, so a device node is never opened through it).
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  if (refuse_if_read_only(req) || refuse_long_name(req, name)) return;
  const mode_t type = mode & S_IFMT;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
      type != S_IFBLK) {
    fuse_reply_err(req, EINVAL);  // as mknod(2) for a type it does not know
    return;
  }
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    const fuse_ctx& ctx = ctx_of(req);
    if (type != S_IFREG) {
      mount_of(req).backend().mknod(path, mode & (S_IFMT | 07777), rdev, ctx.uid, ctx.gid,
                                    reply_new_entry(req, path));
      return;
    }
    std::weak_ptr<bool> alive = mount_of(req).alive();
    mount_of(req).backend().lstat(path, [req, alive, path, mode, uid = ctx.uid, gid = ctx.gid](Result<Attr> attr) {
      if (alive.expired()) return;
      if (attr || attr.error().code() != Errc::NotFound) {
        fuse_reply_err(req, attr ? EEXIST : errno_for(attr.error()));
        return;
      }
      mount_of(req).backend().write_file(path, nullptr, {}, mode & 07777, uid, gid, reply_new_entry(req, path));
    });
  });
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (refuse_if_read_only(req)) return;
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    Callback<void> reply = reply_done(req);
    mount_of(req).backend().unlink(path, [req, path, reply](Status status) {
      if (status) mount_of(req).inodes().drop_path(path);  // open, it lives on without a name
      reply(std::move(status));
    });
  });
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (refuse_if_read_only(req)) return;
  with_path(req, parent, [&](const std::string& dir) {
    std::string path = InodeTable::join(dir, name);
    Callback<void> reply = reply_done(req);
    mount_of(req).backend().rmdir(path, [req, path, reply](Status status) {
      if (status) mount_of(req).inodes().drop_path(path);
      reply(std::move(status));
    });
  });
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned int flags) {
  if (refuse_if_read_only(req) || refuse_long_name(req, newname)) return;
  if (flags & ~static_cast<unsigned int>(RENAME_NOREPLACE)) {
    fuse_reply_err(req, EINVAL);  // RENAME_EXCHANGE, RENAME_WHITEOUT
    return;
  }
  FuseMount& m = mount_of(req);
  auto dir = m.inodes().path_of(parent);
  auto newdir = m.inodes().path_of(newparent);
  if (!dir || !newdir) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  std::string from = InodeTable::join(*dir, name);
  std::string to = InodeTable::join(*newdir, newname);
  // Staged content of the moving file goes to the drive first, under its old path.
  std::shared_ptr<OpenFile> staged;
  if (auto ino = m.inodes().find(from)) staged = open_file_of(*ino);
  auto do_rename = [req, from, to, flags]() {
    Callback<void> reply = reply_done(req);
    mount_of(req).backend().rename(from, to, (flags & RENAME_NOREPLACE) != 0,
                                   [req, from, to, reply](Status status) {
                                     if (status && from != to) {
                                       // A replaced file open somewhere lives on without a name.
                                       FuseMount& mm = mount_of(req);
                                       mm.inodes().drop_path(to);
                                       mm.inodes().rename(from, to);
                                     }
                                     reply(std::move(status));
                                   });
  };
  if (staged && staged->dirty) {
    std::weak_ptr<bool> alive = m.alive();
    commit(req, *m.inodes().find(from), staged, [req, alive, do_rename](Result<Attr> result) {
      if (alive.expired()) return;
      if (!result && result.error().code() != Errc::Cancelled) {
        fuse_reply_err(req, errno_for(result.error()));
        return;
      }
      do_rename();
    });
    return;
  }
  do_rename();
}

void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  FuseMount& m = mount_of(req);
  fuse_reply_err(req, m.options().read_only || !m.backend().writable() ? EROFS : EPERM);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  if (refuse_if_read_only(req)) return;
  // POSIX ACLs and security labels would be stored as plain attributes and never enforced:
  // refused, so that cp, sed -i and editors fall back to chmod.
  if (kernel_namespace(name)) {
    fuse_reply_err(req, EOPNOTSUPP);
    return;
  }
  with_path(req, ino, [&](const std::string& path) {
    Bytes bytes(reinterpret_cast<const uint8_t*>(value), reinterpret_cast<const uint8_t*>(value) + size);
    std::weak_ptr<bool> alive = mount_of(req).alive();
    mount_of(req).backend().setxattr(path, name, std::move(bytes), flags, [req, alive, flags](Status status) {
      if (alive.expired()) return;
      if (!status && status.error().code() == Errc::NotFound && (flags & XATTR_REPLACE)) {
        fuse_reply_err(req, ENODATA);
        return;
      }
      fuse_reply_err(req, status ? 0 : errno_for(status.error()));
    });
  });
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (refuse_if_read_only(req)) return;
  if (kernel_namespace(name)) {
    fuse_reply_err(req, EOPNOTSUPP);  // never stored, as setxattr and getxattr say
    return;
  }
  with_path(req, ino, [&](const std::string& path) {
    std::weak_ptr<bool> alive = mount_of(req).alive();
    mount_of(req).backend().removexattr(path, name, [req, alive](Status status) {
      if (alive.expired()) return;
      if (!status && status.error().code() == Errc::NotFound) {
        fuse_reply_err(req, ENODATA);
        return;
      }
      fuse_reply_err(req, status ? 0 : errno_for(status.error()));
    });
  });
}

// Whether `ino` is a file removed (or replaced) while open.
bool removed_while_open(fuse_req_t req, fuse_ino_t ino) {
  return !mount_of(req).inodes().path_of(ino) && open_inode(ino) != nullptr;
}

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
  // Those namespaces are not supported (setxattr refuses them), and saying so is what keeps
  // `ls -l` fast: it asks every entry for security.selinux and system.posix_acl_access, a
  // round trip each, until a file system answers EOPNOTSUPP (then it stops asking for the
  // whole device); ENODATA would only answer for the one entry. Never ENOSYS: the kernel would
  // stop sending getxattr for user.* too.
  if (kernel_namespace(name)) {
    fuse_reply_err(req, EOPNOTSUPP);
    return;
  }
  if (removed_while_open(req, ino)) {
    fuse_reply_err(req, ENODATA);  // its entry, attributes and all, is gone
    return;
  }
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
  if (removed_while_open(req, ino)) {
    reply_xattr(req, size, "", 0);
    return;
  }
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
  struct statvfs st = mount_of(req).backend().statfs();
  st.f_namemax = kNameMax;
  fuse_reply_statfs(req, &st);
}

// Lets read replies splice file bytes where the kernel offers it. Leaves the set-user-ID and
// set-group-ID bits to the kernel (libfuse asks to handle them by default): it then applies the
// VFS rules ext4 gets (cleared on chown, and on a write or truncate by a process without
// CAP_FSETID; set-group-ID without group-exec kept) and sends the cleared mode with the
// setattr, or in a setattr of its own before the write.
void op_init(void*, fuse_conn_info* conn) {
  for (unsigned cap : {FUSE_CAP_SPLICE_WRITE, FUSE_CAP_SPLICE_MOVE}) {
    if (conn->capable & cap) conn->want |= cap;
  }
  conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
  conn->max_write = kIoSize;  // libfuse asks the kernel for the pages this needs
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
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
  ops.create = op_create;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.fsync = op_fsync;
  ops.setattr = op_setattr;
  ops.mkdir = op_mkdir;
  ops.symlink = op_symlink;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.mknod = op_mknod;
  ops.rename = op_rename;
  ops.link = op_link;
  ops.setxattr = op_setxattr;
  ops.removexattr = op_removexattr;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& fuse_operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

}  // namespace hypermount::fuse
