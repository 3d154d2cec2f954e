#include "fuse/drive_backend.hpp"

#include "drive/drive_url.hpp"
#include "drive/path.hpp"
#include "drive/posix_stat.hpp"
#include "fuse/content_stream.hpp"
#include "node/fetch_loop.hpp"
#include "util/log.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hypermount::fuse {

namespace {

std::string child(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

uint64_t combine(uint64_t seed, uint64_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

// What stays while an entry is unchanged and a rename keeps: its type and change time and, for
// a file, where its content starts (a write never reuses content blocks), so that a file made
// at a reused name in the same millisecond still differs.
uint64_t identity_of(const drive::Stat& stat) {
  uint64_t identity = combine(stat.type(), stat.ctime_ms);
  if (stat.is_file()) identity = combine(combine(identity, stat.offset), stat.byte_offset);
  return identity;
}

}  // namespace

Attr attr_of(const drive::Stat& stat) {
  Attr attr;
  attr.mode = stat.mode;
  if (stat.mount && !stat.mount->hypercore) attr.mode = S_IFDIR | (stat.mode & 07777);
  // Symlink permissions mean nothing on Linux and always read 0777 (drives store 0644).
  if (stat.is_symlink()) attr.mode = S_IFLNK | 0777;
  attr.nlink = stat.is_directory() ? 2 : 1;
  attr.uid = stat.uid;
  attr.gid = stat.gid;
  attr.size = stat.is_file() ? stat.size : (stat.is_symlink() && stat.linkname ? stat.linkname->size() : 0);
  if (stat.is_device() && stat.device) {
    attr.rdev = makedev(stat.device->major_id, stat.device->minor_id);
  }
  attr.atime = drive::ms_to_timespec(stat.access_time_ms());
  attr.mtime = drive::ms_to_timespec(stat.mtime_ms);
  attr.ctime = drive::ms_to_timespec(stat.ctime_ms);
  attr.identity = identity_of(stat);
  return attr;
}

template <typename T>
void DriveBackend::run(std::function<Result<T>()> attempt, Callback<T> done) {
  node::run_fetching<T>(fetcher_, std::move(attempt),
                        [this]() -> const drive::MissingBlocks& { return drive_.missing(); }, std::move(done));
}

void DriveBackend::lstat(std::string path, Callback<Attr> done) {
  run<Attr>([this, path]() -> Result<Attr> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    Attr attr = attr_of(stat);
    count_links(path, attr);
    return attr;
  }, std::move(done));
}

void DriveBackend::count_links(const std::string& path, Attr& attr) {
  if (!S_ISDIR(attr.mode)) return;
  const auto subdirectories = drive_.subdirectory_count(path, kLinkCountLimit);
  attr.nlink = subdirectories
                   ? static_cast<uint32_t>(std::min<uint64_t>(2 + *subdirectories, UINT32_MAX))
                   : 1;
}

Result<std::vector<DirEntry>> DriveBackend::list(const std::string& path) {
  HM_TRY_ASSIGN(auto listing, drive_.readdir(path));
  std::vector<DirEntry> entries;
  entries.reserve(listing.size());
  for (auto& item : listing) {
    Attr attr = attr_of(item.stat);
    count_links(child(path, item.name), attr);
    entries.push_back({std::move(item.name), attr});
  }
  return entries;
}

void DriveBackend::readdir(std::string path, Callback<std::vector<DirEntry>> done) {
  if (auto ready = ahead_.take(path)) {
    ahead_.listed(path, *ready);
    done(std::move(*ready));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  run<std::vector<DirEntry>>([this, path]() { return list(path); },
                             [this, alive, path, done = std::move(done)](Result<std::vector<DirEntry>> listing) {
                               if (listing && !alive.expired()) ahead_.listed(path, *listing);
                               done(std::move(listing));
                             });
}

// The bytes of a drive file as opened (a drive::FileContent: content blocks never change), with
// the read-ahead state of its readers.
class DriveBackend::Version final : public FileVersion, public std::enable_shared_from_this<Version> {
 public:
  Version(DriveBackend& backend, drive::FileContent content) : backend_(backend), content_(std::move(content)) {}

  const drive::FileContent& content() const { return content_; }

  void read(uint64_t offset, size_t size, Callback<Bytes> done) override {
    backend_.run<Bytes>([self = shared_from_this(), offset, size]() -> Result<Bytes> {
      return self->backend_.drive_.read(self->content_, offset, size);
    }, std::move(done));
  }

  std::optional<FileExtent> local_extent(uint64_t offset, size_t size) override {
    // Every read asks here first: the place to see a sequential reader.
    if (backend_.fetcher_ != nullptr) read_ahead(offset, size);
    auto extent = backend_.drive_.local_extent(content_, offset, size);
    if (!extent) return std::nullopt;
    return FileExtent{extent->fd, extent->position, extent->length};
  }

  void copy_into(StagingFile& into, uint64_t size_wanted, Callback<void> done) override {
    // What a round copied stays copied when a fetch interrupts it.
    auto copied = std::make_shared<uint64_t>(0);
    backend_.run<void>([self = shared_from_this(), &into, copied, size_wanted]() -> Status {
      const uint64_t size = std::min(size_wanted, self->content_.size);
      while (*copied < size) {
        const size_t piece_size = static_cast<size_t>(std::min<uint64_t>(kCopyPiece, size - *copied));
        HM_TRY_ASSIGN(Bytes piece, self->backend_.drive_.read(self->content_, *copied, piece_size));
        if (piece.empty()) return Error::corrupt("a file of {} bytes ended at {}", size, *copied);
        HM_TRY(into.write(*copied, piece));
        *copied += piece.size();
      }
      return {};
    }, std::move(done));
  }

 private:
  // Bytes copied per call.
  static constexpr size_t kCopyPiece = 4 << 20;
  // Read-ahead for sequential readers of remote files: from 4 MiB, doubling up to 64 MiB.
  static constexpr size_t kReadAheadMin = 4 << 20;
  static constexpr size_t kReadAheadMax = 64 << 20;

  // Asks for the blocks ahead of a sequential reader (reading `size` at `offset`).
  void read_ahead(uint64_t offset, size_t size);

  DriveBackend& backend_;
  drive::FileContent content_;
  uint64_t next_ = 0;   // where the reads so far ended
  uint64_t ahead_ = 0;  // where the blocks asked for ahead of the reader end
  size_t window_ = kReadAheadMin;
};

void DriveBackend::Version::read_ahead(uint64_t offset, size_t size) {
  // A reader that continues near where its reads so far ended (the kernel's own read-ahead
  // sends a few reads at once, out of order) gets the blocks of the next `window` bytes asked
  // for ahead of it, without waiting for them, whenever less than half of the window last asked
  // for is left ahead; the window doubles each time, so a fast reader keeps more blocks in
  // flight, while a reader of 1 MiB in the middle of a file gets 4 MiB ahead, not 64.
  const uint64_t end = offset + size;
  const bool sequential = offset != 0 && offset <= next_ + kReadAheadMin && end + kReadAheadMin > next_;
  if (!sequential) {
    next_ = end;
    ahead_ = 0;
    window_ = kReadAheadMin;
    return;
  }
  next_ = std::max(next_, end);
  if (ahead_ > next_ && ahead_ - next_ >= window_ / 2) return;
  // `window` is the size last asked for until the reader has used half of it (doubling it on
  // asking made every read of 128 KiB ask again, 4 + 8 + 16 + 32 + 64 MiB for 1 MiB read)
  if (ahead_ != 0) window_ = std::min(window_ * 2, kReadAheadMax);
  const uint64_t from = std::max(ahead_, next_);
  const uint64_t to = next_ + window_;
  ahead_ = to;
  // lists what is missing
  auto wider = backend_.drive_.check_local(content_, from, static_cast<size_t>(to - from));
  if (!wider && wider.error().code() == Errc::Unavailable) {
    backend_.fetcher_->fetch(backend_.drive_.missing(), /*resumed=*/false, [](Result<uint64_t>) {});
  }
}

void DriveBackend::open_file(std::string path, Callback<OpenedFile> done) {
  run<OpenedFile>([this, path]() -> Result<OpenedFile> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (stat.is_directory() || (stat.mount && !stat.mount->hypercore)) {
      return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
    }
    if (!stat.is_file()) return Error::invalid("{} is not a regular file", path);
    HM_TRY_ASSIGN(drive::FileContent content, drive_.content_of(path));
    return OpenedFile{open_version(std::move(content)), attr_of(stat)};
  }, std::move(done));
}

std::shared_ptr<DriveBackend::Version> DriveBackend::open_version(drive::FileContent content) {
  auto version = std::make_shared<Version>(*this, std::move(content));
  if (open_versions_.size() >= open_versions_prune_at_) {  // closed ones go, amortised
    std::erase_if(open_versions_, [](const std::weak_ptr<Version>& v) { return v.expired(); });
    open_versions_prune_at_ = std::max<size_t>(64, 2 * open_versions_.size());
  }
  open_versions_.push_back(version);
  return version;
}

void DriveBackend::readlink(std::string path, Callback<std::string> done) {
  run<std::string>([this, path]() -> Result<std::string> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (!stat.is_symlink() || !stat.linkname) return Error::invalid("{} is not a symlink", path);
    // As stored, as a POSIX file system does, in a drive written here; confined to the mount
    // in a drive written by someone else, so that a link never leads outside it.
    HM_TRY_ASSIGN(bool own, drive_.written_here(path));
    return own ? *stat.linkname : drive::confined_link_target(path, *stat.linkname);
  }, std::move(done));
}

namespace {

// Attributes the mount adds (never stored): the drive key and version on the root, and on a
// drive mount point what is mounted there. Setting kMountAttr on an empty directory mounts
// the drive it names there; removing it unmounts (`hypermount mount-drive/unmount-drive`).
constexpr std::string_view kKeyAttr = "user.hypermount.key";
constexpr std::string_view kVersionAttr = "user.hypermount.version";
// Fetch batches and blocks asked of peers since the mount started, "BATCHES BLOCKS" (root only,
// not listed: for tests and for watching a mount).
constexpr std::string_view kFetchesAttr = "user.hypermount.fetches";
constexpr std::string_view kMountAttr = "user.hypermount.mount";
// What `hypermount info` says, as text and as JSON (root only, not listed: cp -a must not copy
// them); `hypermount info MOUNTPOINT` reads the JSON one.
constexpr std::string_view kInfoAttr = "user.hypermount.info";
constexpr std::string_view kInfoJsonAttr = "user.hypermount.info.json";

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

}  // namespace

std::vector<std::string> DriveBackend::control_attributes(const std::string& path, const drive::Stat& stat) {
  std::vector<std::string> names;
  if (path == "/") {
    names.emplace_back(kKeyAttr);
    names.emplace_back(kVersionAttr);
  }
  if (stat.mount && !stat.mount->hypercore) names.emplace_back(kMountAttr);
  return names;
}

std::optional<Bytes> DriveBackend::control_attribute(const std::string& path, const drive::Stat& stat,
                                                     std::string_view name) {
  if (path == "/" && name == kKeyAttr) return bytes_of(to_hex(drive_.key()));
  if (path == "/" && name == kVersionAttr) return bytes_of(std::to_string(drive_.version()));
  if (path == "/" && name == kFetchesAttr) {
    const node::FetchStats stats = fetcher_ ? fetcher_->stats() : node::FetchStats{};
    return bytes_of(fmt::format("{} {}", stats.batches, stats.blocks));
  }
  if (path == "/" && (name == kInfoAttr || name == kInfoJsonAttr)) {
    const node::DriveInfo info = node::drive_info(drive_, replicator_);
    return bytes_of(name == kInfoAttr ? node::info_text(info) : node::info_json(info));
  }
  if (name == kMountAttr && stat.mount && !stat.mount->hypercore) return bytes_of(drive::format_drive_url(stat.mount->key, stat.mount->version));
  return std::nullopt;
}

void DriveBackend::getxattr(std::string path, std::string name, Callback<Bytes> done) {
  run<Bytes>([this, path, name]() -> Result<Bytes> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (auto control = control_attribute(path, stat, name)) return *control;
    auto value = stat.xattr(name);
    if (!value) return Error::not_found("no attribute {} on {}", name, path);
    return *value;
  }, std::move(done));
}

void DriveBackend::listxattr(std::string path, Callback<std::vector<std::string>> done) {
  run<std::vector<std::string>>([this, path]() -> Result<std::vector<std::string>> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    std::vector<std::string> names = stat.xattr_names();
    for (std::string& name : control_attributes(path, stat)) names.push_back(std::move(name));
    return names;
  }, std::move(done));
}

struct statvfs DriveBackend::statfs() {
  // Everything the mount writes goes to the store's file system: its room is the mount's.
  struct statvfs st {};
  if (::statvfs(drive_.metadata().dir().c_str(), &st) != 0) {
    log::warn("fuse", "statfs of the store {}: {}", drive_.metadata().dir(), std::strerror(errno));
  }
  return st;
}

uint64_t DriveBackend::store_cost(uint64_t data, uint64_t size) {
  // Each block adds a leaf and a parent to the tree; a zero block is a hole in the data file.
  const uint64_t blocks = size / drive::Drive::kMaxBlockSize + 1;
  return data + blocks * 2 * core::kTreeRecordSize;
}

Status DriveBackend::check_room(uint64_t bytes) {
  auto available = [this]() -> std::optional<uint64_t> {
    struct statvfs st = statfs();
    if (st.f_frsize == 0) return std::nullopt;  // statfs failed (and said so): nothing to go by
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  };
  auto before = available();
  if (!before || bytes <= *before) return {};
  uint64_t releasable = 0;
  for (const drive::FileContent& c : released_) releasable += c.size;
  // Old versions keep their bytes when giving them back could not make room anyway.
  if (bytes <= *before + releasable && give_back() > 0) {
    auto after = available();
    if (!after || bytes <= *after) return {};
    before = after;
  }
  return Error::io(ENOSPC, "{} bytes to write, the store's file system has {} free", bytes, *before);
}

std::optional<drive::FileContent> DriveBackend::own_content(const std::string& path) {
  auto content = drive_.content_of(path);
  if (!content || content->blocks == 0 || !content->core->writable()) return std::nullopt;
  return std::move(*content);
}

void DriveBackend::released(drive::FileContent content) {
  released_.push_back(std::move(content));
  // Low: under an eighth of the store's file system free.
  struct statvfs st = statfs();
  if (st.f_frsize != 0 && st.f_bavail < st.f_blocks / 8) give_back();
}

uint64_t DriveBackend::give_back() {
  std::erase_if(open_versions_, [](const std::weak_ptr<Version>& v) { return v.expired(); });
  auto held = [this](const drive::FileContent& c) {
    return std::any_of(open_versions_.begin(), open_versions_.end(), [&](const std::weak_ptr<Version>& weak) {
      auto v = weak.lock();
      if (!v) return false;
      const drive::FileContent& o = v->content();
      return o.core == c.core && o.first_block < c.first_block + c.blocks &&
             c.first_block < o.first_block + o.blocks;
    });
  };
  uint64_t total = 0;
  std::erase_if(released_, [&](const drive::FileContent& c) {
    if (held(c)) return false;
    auto cleared = c.core->clear(c.first_block, c.first_block + c.blocks);
    if (!cleared) {
      log::warn("fuse", "giving back the space of blocks {}-{}: {}", c.first_block,
                c.first_block + c.blocks, cleared.error().to_string());
      return cleared.error().code() != Errc::Io;  // kept to try again only on I/O errors
    }
    total += *cleared;
    return true;
  });
  if (total > 0) {
    log::info("fuse", "gave back {} bytes of removed and replaced files (older versions of the drive "
              "no longer hold them)", total);
  }
  return total;
}

struct DriveBackend::Commit {
  std::string path;
  uint64_t size = 0;
  uint64_t data = 0;  // of `size`, the bytes that may not be zeros (the rest become holes)
  drive::Drive::ContentSource source;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  Callback<Attr> done;
  std::optional<drive::FileContent> extend;    // grown in place if the file still has it
  std::optional<drive::FileContent> replaced;  // the old content, released once the new is in
  StagedLeaves* leaves = nullptr;  // hashes worked out ahead; null once the rest were asked for
  drive::Drive::KnownLeaves known;
};

DriveBackend::DriveBackend(uv_loop_t* loop, drive::Drive& drive, node::Fetcher* fetcher, bool pinned_version)
    : commit_idle_(new uv_idle_t),
      drive_(drive),
      fetcher_(fetcher),
      pinned_(pinned_version),
      ahead_(loop, [this](const std::string& path) { return list(path); }, [this]() { return drive_.tree_version(); }) {
  uv_idle_init(loop, commit_idle_);
  commit_idle_->data = this;
}

DriveBackend::~DriveBackend() {
  uv_idle_stop(commit_idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(commit_idle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

void DriveBackend::commit(std::string path, uint64_t size, uint64_t data, drive::Drive::ContentSource source,
                          uint32_t mode, uint32_t uid, uint32_t gid, Callback<Attr> done,
                          std::optional<drive::FileContent> extend, StagedLeaves* leaves) {
  drive::Drive::KnownLeaves known;
  if (leaves != nullptr) {
    known = [leaves](uint64_t offset, size_t length) { return leaves->leaf_hash(offset, length); };
  }
  commits_.push_back(std::unique_ptr<Commit>(new Commit{std::move(path), size, data, std::move(source), mode,
                                                        uid, gid, std::move(done), std::move(extend),
                                                        std::nullopt, leaves, std::move(known)}));
  if (commits_.size() == 1) start_next_commit();
}

void DriveBackend::start_next_commit() {
  std::weak_ptr<bool> alive = alive_;
  auto again = [this, alive] {
    if (!alive.expired()) start_next_commit();
  };
  // A stream writing past the content core's end gives that up first: the commit appends there.
  if (!commits_.empty() && !ContentStream::give_up_tail(streaming_, again)) return;
  while (!commits_.empty()) {
    Commit& c = *commits_.front();
    // The blocks the pool has not hashed yet go there too; the loop only writes.
    if (StagedLeaves* leaves = std::exchange(c.leaves, nullptr)) {
      if (!leaves->hash_all(c.size, again)) return;
    }
    auto begun = [&]() -> Result<drive::Drive::FileWrite> {
      bool existed = false;
      HM_TRY_ASSIGN(drive::Stat stat, stat_to_write(c.path, c.mode, c.uid, c.gid, existed));
      if (existed) {
        auto now = c.extend ? drive_.content_of(c.path) : Result<drive::FileContent>(Error::not_found("-"));
        if (now && now->core == c.extend->core && now->first_block == c.extend->first_block &&
            now->size == c.extend->size) {  // still the content the file was opened with
          HM_TRY(check_room(store_cost(std::min(c.data, c.size - stat.size), c.size - stat.size)));
          if (auto grown = drive_.begin_extend(c.path, c.size, stat)) return grown;
        }
        c.replaced = own_content(c.path);
      }
      // A file that cannot fit fails before its first batch, not after filling the store.
      HM_TRY(check_room(store_cost(c.data, c.size)));
      return drive_.begin_write(c.path, c.size, stat);
    }();
    if (begun) {
      running_ = std::move(*begun);
      // Each turn of the loop appends one batch; between them it answers whatever else came in.
      uv_idle_start(commit_idle_, [](uv_idle_t* h) { static_cast<DriveBackend*>(h->data)->commit_step(); });
      return;
    }
    auto done = std::move(c.done);
    commits_.pop_front();
    done(begun.error());
  }
}

Result<drive::Stat> DriveBackend::stat_to_write(const std::string& path, uint32_t mode, uint32_t uid,
                                                uint32_t gid, bool& existed) {
  auto old = drive_.lstat(path);
  existed = old.has_value();
  drive::Stat stat;
  if (old) {
    if (old->is_directory()) return Error{Errc::IsDir, fmt::format("{} is a directory", path)};
    // A FIFO, socket or device has no content to replace (and must not become a file).
    if (!old->is_file()) return Error::invalid("{} is not a regular file", path);
    stat = *old;
  } else if (old.error().code() == Errc::NotFound) {
    stat = drive::Stat::file(0, drive::kModeRegular | (mode & 07777));  // 0000 stays
    stat.uid = uid;
    stat.gid = gid;
  } else {
    return old.error();
  }
  stat.mtime_ms = 0;  // end_write stamps it
  return stat;
}

std::unique_ptr<ContentStream> DriveBackend::start_stream(const std::string& path) {
  // One stream at a time: two files appended side by side would break each other's run of
  // blocks. A second file written meanwhile is staged.
  if (!writable() || !streaming_.expired()) return nullptr;
  auto core = drive_.stream_core(path);
  if (!core) return nullptr;
  std::weak_ptr<bool> alive = alive_;
  // Nothing else appends while a commit runs; a stream's blocks given up are read by the file
  // until its next commit, then given back as a removed file's are.
  auto may_append = [this, alive] { return !alive.expired() && commits_.empty(); };
  auto keep = [this, alive](const drive::FileContent& appended) -> KeptPrefix {
    if (alive.expired()) return {};
    KeptPrefix kept{open_version(appended), appended.size};
    released(appended);
    return kept;
  };
  auto make_room = [this, alive] { return !alive.expired() && give_back() > 0; };
  auto stream = std::make_unique<ContentStream>(commit_idle_->loop, std::move(*core),
                                                ContentStream::Hooks{std::move(may_append), std::move(make_room), std::move(keep)});
  streaming_ = stream->state();
  return stream;
}

Result<FsBackend::Streamed> DriveBackend::write_streamed(const std::string& path, const drive::FileContent& content,
                                                         uint32_t mode, uint32_t uid, uint32_t gid) {
  bool existed = false;
  HM_TRY_ASSIGN(drive::Stat stat, stat_to_write(path, mode, uid, gid, existed));
  auto replaced = existed ? own_content(path) : std::nullopt;
  HM_TRY_ASSIGN(drive::Drive::FileWrite write, drive_.begin_adopt(path, content, stat));
  HM_TRY(drive_.end_write(write));
  if (replaced) released(std::move(*replaced));
  return Streamed{attr_of(write.stat), KeptPrefix{open_version(content), content.size}};
}

void DriveBackend::commit_step() {
  Commit& c = *commits_.front();
  auto appended = drive_.write_step(*running_, c.source, c.known);
  if (appended && !*appended) return;  // the next turn appends the next batch
  Result<Attr> outcome = [&]() -> Result<Attr> {
    if (!appended) return appended.error();
    HM_TRY(drive_.end_write(*running_));
    return attr_of(running_->stat);  // as written: no lookup
  }();
  running_.reset();
  uv_idle_stop(commit_idle_);
  auto done = std::move(c.done);
  if (outcome && c.replaced) released(std::move(*c.replaced));
  commits_.pop_front();
  start_next_commit();
  done(std::move(outcome));
}

Result<StagingFile> DriveBackend::new_staging_file() {
  HM_TRY_ASSIGN(StagingFile file, StagingFile::create(drive_.store_folder()));
  // The 10.21 line cuts a file into blocks of kMaxBlockSize bytes: those are hashed on the pool
  // as the writes fill them, so that the commit finds their hashes ready.
  if (drive_.line() == corestore::DriveLine::V10_21) {
    HM_TRY(file.hash_leaves_ahead(commit_idle_->loop, drive::Drive::kMaxBlockSize));
  }
  return file;
}

void DriveBackend::write_file(std::string path, StagingFile* content, KeptPrefix kept, uint32_t mode,
                              uint32_t uid, uint32_t gid, Callback<Attr> done) {
  const uint64_t size = content ? content->size() : 0;
  auto* version = dynamic_cast<Version*>(kept.version.get());
  if (!content || !version || kept.size == 0) {
    auto source = [content](uint64_t offset, size_t length) -> Result<ByteView> {
      if (!content) return ByteView{};
      return content->read(offset, length);
    };
    commit(std::move(path), size, content ? content->allocated() : 0, std::move(source), mode, uid, gid,
           std::move(done), std::nullopt, content ? content->leaves() : nullptr);
    return;
  }
  // Below kept.size the bytes come from the version opened (the staging file has a hole there).
  auto piece = std::make_shared<Bytes>();
  auto source = [this, content, piece, from = version->content(), kept_size = kept.size](
                    uint64_t offset, size_t length) -> Result<ByteView> {
    if (offset >= kept_size) return content->read(offset, length);
    HM_TRY_ASSIGN(ByteView staged, content->read(offset, length));
    piece->assign(staged.begin(), staged.end());
    const size_t from_version = static_cast<size_t>(std::min<uint64_t>(length, kept_size - offset));
    HM_TRY_ASSIGN(Bytes old, drive_.read(from, offset, from_version));
    if (old.size() != from_version) return Error::corrupt("the file's old content ended early");
    std::copy(old.begin(), old.end(), piece->begin());
    return ByteView(*piece);
  };
  std::optional<drive::FileContent> extend;
  if (kept.size == version->content().size) extend = version->content();
  const uint64_t data = std::min(size, content->allocated() + kept.size);
  commit(std::move(path), size, data, std::move(source), mode, uid, gid, std::move(done), std::move(extend));
}

void DriveBackend::truncate(std::string path, uint64_t size, Callback<Attr> done) {
  auto stat = drive_.lstat(path);
  if (!stat) return done(stat.error());
  if (stat->is_directory()) return done(Error{Errc::IsDir, fmt::format("{} is a directory", path)});
  if (!stat->is_file()) return done(Error::invalid("{} is not a regular file", path));
  // The kept bytes are read piece by piece as they are appended; the rest is zeros.
  const uint64_t kept = std::min(stat->size, size);
  auto piece = std::make_shared<Bytes>();
  auto source = [this, path, kept, piece](uint64_t offset, size_t length) -> Result<ByteView> {
    piece->assign(length, 0);
    if (offset < kept) {
      HM_TRY_ASSIGN(Bytes old, drive_.read(path, offset, static_cast<size_t>(std::min<uint64_t>(length, kept - offset))));
      std::copy(old.begin(), old.end(), piece->begin());
    }
    return ByteView(*piece);
  };
  commit(std::move(path), size, kept, std::move(source), 0, 0, 0, std::move(done));
}

void DriveBackend::change_attr(std::string path, AttrChange change, Callback<Attr> done) {
  run<Attr>([this, path, change]() -> Result<Attr> {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (change.mode) stat.mode = stat.type() | (*change.mode & 07777);
    if (change.uid) stat.uid = *change.uid;
    if (change.gid) stat.gid = *change.gid;
    if (change.atime) stat.atime_ms = drive::timespec_to_ms(*change.atime);
    if (change.mtime) stat.mtime_ms = drive::timespec_to_ms(*change.mtime);
    stat.ctime_ms = drive::clock_ms();
    HM_TRY(drive_.put_stat(path, stat));
    return attr_of(stat);
  }, std::move(done));
}

// The attributes of the entry just made at `path`, with its owner set to the caller's.
Result<Attr> DriveBackend::owned_by(const std::string& path, uint32_t uid, uint32_t gid) {
  HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
  if (stat.uid != uid || stat.gid != gid) {
    stat.uid = uid;
    stat.gid = gid;
    HM_TRY(drive_.put_stat(path, stat));
  }
  return attr_of(stat);
}

void DriveBackend::mkdir(std::string path, uint32_t mode, uint32_t uid, uint32_t gid, Callback<Attr> done) {
  run<Attr>([this, path, mode, uid, gid]() -> Result<Attr> {
    HM_TRY(drive_.mkdir(path, mode & 07777));
    return owned_by(path, uid, gid);
  }, std::move(done));
}

void DriveBackend::symlink(std::string target, std::string path, uint32_t uid, uint32_t gid,
                           Callback<Attr> done) {
  run<Attr>([this, target, path, uid, gid]() -> Result<Attr> {
    HM_TRY(drive_.symlink(target, path));
    return owned_by(path, uid, gid);
  }, std::move(done));
}

void DriveBackend::mknod(std::string path, uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
                         Callback<Attr> done) {
  run<Attr>([this, path, mode, rdev, uid, gid]() -> Result<Attr> {
    const drive::DeviceNumber device{major(rdev), minor(rdev)};
    drive::Stat stat =
        drive::Stat::special(mode & drive::kModeTypeMask, drive::clock_ms(),
                             mode & (drive::kModeTypeMask | 07777), device);  // 0000 stays
    stat.uid = uid;
    stat.gid = gid;
    HM_TRY(drive_.mknod(path, stat));
    return attr_of(stat);
  }, std::move(done));
}

void DriveBackend::unlink(std::string path, Callback<void> done) {
  run<void>([this, path]() -> Status {
    auto content = own_content(path);
    HM_TRY(drive_.unlink(path));
    if (content) released(std::move(*content));
    return {};
  }, std::move(done));
}

void DriveBackend::rmdir(std::string path, Callback<void> done) {
  run<void>([this, path]() -> Status { return drive_.rmdir(path); }, std::move(done));
}

Status DriveBackend::move_tree(const std::string& from, const std::string& to) {
  HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(from));
  if (stat.mount && !stat.mount->hypercore) {
    HM_TRY(drive_.mount(to, stat.mount->key, stat.mount->version));
    return drive_.unmount(from);
  }
  if (stat.is_directory()) {
    HM_TRY_ASSIGN(auto listing, drive_.readdir(from));
    HM_TRY(drive_.put_stat(to, stat));
    for (const auto& item : listing) HM_TRY(move_tree(child(from, item.name), child(to, item.name)));
    return drive_.rmdir(from, drive::ParentTimes::Keep);
  }
  HM_TRY(drive_.put_stat(to, stat));
  return drive_.unlink(from, drive::ParentTimes::Keep);
}

void DriveBackend::rename(std::string from, std::string to, bool no_replace, Callback<void> done) {
  run<void>([this, from, to, no_replace]() -> Status {
    HM_TRY_ASSIGN(drive::Stat source, drive_.lstat(from));
    if (from == to) return {};
    HM_TRY(drive_.same_drive(from, to));
    if (to.size() > from.size() && to.compare(0, from.size(), from) == 0 && to[from.size()] == '/') {
      return Error::invalid("cannot move {} into itself", from);
    }
    bool source_dir = source.is_directory() && !source.mount;
    auto target = drive_.lstat(to);
    if (target) {
      if (no_replace) return Error::exists("{} exists", to);
      bool target_dir = target->is_directory() && !target->mount;
      if (target_dir) {
        if (!source_dir) return Error{Errc::IsDir, fmt::format("{} is a directory", to)};
        HM_TRY(drive_.rmdir(to, drive::ParentTimes::Keep));  // NotEmpty unless empty
      } else if (source_dir) {
        return Error{Errc::NotDir, fmt::format("{} is not a directory", to)};
      }
    } else if (target.error().code() != Errc::NotFound) {
      return target.error();
    }
    auto replaced = target && target->is_file() ? own_content(to) : std::nullopt;
    HM_TRY(move_tree(from, to));
    if (replaced) released(std::move(*replaced));
    // Both directories change once, whatever moved (the entries moved keep their times).
    return drive_.stamp_parents({from, to});
  }, std::move(done));
}

void DriveBackend::setxattr(std::string path, std::string name, Bytes value, int flags, Callback<void> done) {
  run<void>([this, path, name, value, flags]() -> Status {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (name == kMountAttr) return mount_here(path, stat, value);
    if (name == drive::kDeviceKey) {
      return Error::unsupported("{} is where a device's number is kept", name);
    }
    if (path == "/" && (name == kKeyAttr || name == kVersionAttr)) {
      return Error::read_only("{} is set by the mount", name);
    }
    bool exists = stat.xattr(name).has_value();
    if ((flags & XATTR_CREATE) && exists) return Error::exists("attribute {} exists on {}", name, path);
    if ((flags & XATTR_REPLACE) && !exists) return Error::not_found("no attribute {} on {}", name, path);
    stat.set_xattr(name, value);
    return drive_.put_stat(path, stat);
  }, std::move(done));
}

void DriveBackend::removexattr(std::string path, std::string name, Callback<void> done) {
  run<void>([this, path, name]() -> Status {
    HM_TRY_ASSIGN(drive::Stat stat, drive_.lstat(path));
    if (name == kMountAttr && stat.mount && !stat.mount->hypercore) return drive_.unmount(path);
    if (!stat.remove_xattr(name)) return Error::not_found("no attribute {} on {}", name, path);
    return drive_.put_stat(path, stat);
  }, std::move(done));
}

// Turns the empty directory `path` into the mount point of the drive `url` names
// (hyper://KEY[+VERSION] or hex).
Status DriveBackend::mount_here(const std::string& path, const drive::Stat& stat, ByteView url) {
  if (stat.mount) return Error{Errc::Busy, fmt::format("{} is a mount point already", path)};
  if (!stat.is_directory()) return Error{Errc::NotDir, fmt::format("{} is not a directory", path)};
  HM_TRY_ASSIGN(drive::DriveUrl source, drive::parse_drive_url(std::string_view(
                                            reinterpret_cast<const char*>(url.data()), url.size())));
  HM_TRY_ASSIGN(auto listing, drive_.readdir(path));
  if (!listing.empty()) return Error{Errc::NotEmpty, fmt::format("{} is not empty", path)};
  HM_TRY(drive_.rmdir(path));
  return drive_.mount(path, source.key, source.version);
}

}  // namespace hypermount::fuse
