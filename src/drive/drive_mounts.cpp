// Drive mounts (mountable-hypertrie, hyperdrive.md §9): following mount records from a path into
// the mounted drive, mounting and unmounting, listing every mount, and cycle detection.
#include "drive/drive.hpp"

#include "drive/mount_record.hpp"
#include "drive/path.hpp"

namespace hypermount::drive {

namespace {

bool at_or_below(std::string_view key, std::string_view base) {
  if (key.size() == base.size()) return key == base;
  return key.size() > base.size() && key.compare(0, base.size(), base) == 0 && key[base.size()] == '/';
}

// The key inside a drive mounted at `base` of the path key `key` (at or below it).
std::string inner_key(const std::string& key, const std::string& base) {
  return key.size() == base.size() ? std::string() : key.substr(base.size() + 1);
}

}  // namespace

uint64_t Drive::tree_version() const {
  uint64_t sum = version();
  for (const auto& [id, drive] : mounted_) sum += drive->tree_version();
  return sum;
}

Result<Drive::Location> Drive::locate(std::string_view path, bool enter) {
  root_->missing_.clear();
  HM_TRY_ASSIGN(std::string key, path_to_key(path));
  return locate_key(std::move(key), enter);
}

Result<Drive::Location> Drive::locate_key(std::string key, bool enter) {
  Drive* d = this;
  while (!key.empty()) {
    trie::GetOptions closest;
    closest.closest = true;
    HM_TRY_ASSIGN(trie::NodePtr node, d->noted(d->trie_->get(key, closest)));
    if (!node || !is_mount_point(node->user_flags())) break;
    // §9.2 steps 3-5: a mount point at the key itself is entered only when asked; one above it
    // always is.
    if (node->key() == key ? !enter : !at_or_below(key, node->key())) break;
    HM_TRY_ASSIGN(auto entered, d->enter_mount(key));
    if (entered.second == nullptr) break;
    key = inner_key(key, entered.first);
    d = entered.second;
  }
  return Location{d, std::move(key)};
}

Result<std::pair<std::string, Drive*>> Drive::enter_mount(const std::string& key) {
  trie::GetOptions options;
  options.hidden = true;
  options.closest = true;
  HM_TRY_ASSIGN(trie::NodePtr record_node, noted(trie_->get(mount_record_key(key), options)));
  std::pair<std::string, Drive*> none{std::string(), nullptr};
  if (!record_node || !record_node->hidden() || !record_node->value() ||
      !is_mount_point(record_node->user_flags())) {
    return none;
  }
  const std::string& record_key = record_node->key();
  if (record_key.compare(0, kMountsPrefix.size(), kMountsPrefix) != 0) return none;
  std::string local = record_key.substr(kMountsPrefix.size());
  if (!at_or_below(key, local)) return none;
  HM_TRY_ASSIGN(MountRecord record, decode_mount_record(*record_node->value()));
  HM_TRY_ASSIGN(Drive * drive, mounted_drive(record.key, record.pinned_version(), local));
  return std::pair<std::string, Drive*>{std::move(local), drive};
}

bool Drive::in_mount_chain(const crypto::PublicKey& key) const {
  for (const Drive* d = this; d != nullptr; d = d->parent_) {
    if (d->key() == key) return true;
  }
  return false;
}

Result<Drive*> Drive::mounted_drive(const crypto::PublicKey& key, std::optional<uint64_t> version,
                                    const std::string& at) {
  if (in_mount_chain(key)) {
    return Error{Errc::Loop, fmt::format("drive {} is mounted inside itself at {}",
                                         to_hex(key).substr(0, 8), key_to_path(at))};
  }
  auto slot = std::make_pair(key, version.value_or(0));
  auto it = mounted_.find(slot);
  // A replica learns its content core from metadata block 0: reopen once that is here.
  if (it == mounted_.end() || (!it->second->content_ && it->second->metadata_->has(0))) {
    HM_TRY_ASSIGN(auto drive, Drive::open(*store_, key));
    if (version) {
      drive->trie_ = drive->trie_->checkout(*version);
      drive->checkout_ = true;
    }
    drive->parent_ = this;
    drive->root_ = root_;
    it = mounted_.insert_or_assign(slot, std::move(drive)).first;
  }
  Drive* drive = it->second.get();
  if (drive->metadata_->length() == 0) {
    root_->missing_.add(drive->metadata_, 0, true);
    return Error::unavailable("the drive mounted at {} ({}) is not local yet", key_to_path(at),
                              to_hex(key).substr(0, 8));
  }
  return drive;
}

Status Drive::mount(std::string_view path, const crypto::PublicKey& key,
                    std::optional<uint64_t> version) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  if (at.key.empty()) return Error::exists("{} exists", path);
  if (d.in_mount_chain(key)) {
    return Error{Errc::Loop, fmt::format("cannot mount drive {} inside itself", to_hex(key).substr(0, 8))};
  }
  auto existing = d.lstat_key(at.key);
  if (existing) return Error::exists("{} exists", path);
  if (existing.error().code() != Errc::NotFound) return existing.error();

  MountRecord record;
  record.key = key;
  record.local_path = at.key;
  record.version = version;
  Stat point = Stat::directory(clock_ms());
  point.mount = StatMount{key, version, std::nullopt, false};
  point.offset = d.content_->length();
  point.byte_offset = d.content_->byte_length();
  std::vector<trie::BatchOp> ops(2);
  ops[0].key = mount_record_key(at.key);
  ops[0].value = encode_mount_record(record);
  ops[0].hidden = true;
  ops[0].flags = kMountUserFlags;
  ops[1].key = at.key;
  ops[1].value = encode_stat(point);
  ops[1].flags = kMountUserFlags;
  HM_TRY(d.noted(d.trie_->batch(ops)));
  return {};
}

Status Drive::unmount(std::string_view path) {
  HM_TRY_ASSIGN(Location at, locate(path, false));
  Drive& d = *at.drive;
  HM_TRY(d.require_writable());
  HM_TRY_ASSIGN(Stat stat, d.lstat_key(at.key));
  if (!stat.mount || stat.mount->hypercore) return Error::invalid("{} is not a drive mount point", path);
  std::vector<trie::BatchOp> ops(2);
  ops[0].type = trie::BatchOp::Type::Delete;
  ops[0].key = mount_record_key(at.key);
  ops[0].hidden = true;
  ops[1].type = trie::BatchOp::Type::Delete;
  ops[1].key = at.key;
  HM_TRY(d.noted(d.trie_->batch(ops)));
  return {};
}

Result<std::vector<MountedDrive>> Drive::mounts(bool recursive) {
  trie::ListOptions options;
  options.hidden = true;
  HM_TRY_ASSIGN(auto nodes, noted(trie_->list(kMountsPrefix.substr(0, kMountsPrefix.size() - 1), options)));
  std::vector<MountedDrive> found;
  for (const trie::NodePtr& node : nodes) {
    if (!node->value() || !is_mount_point(node->user_flags())) continue;
    HM_TRY_ASSIGN(MountRecord record, decode_mount_record(*node->value()));
    std::string local = node->key().substr(kMountsPrefix.size());
    found.push_back({key_to_path(local), record.key, record.pinned_version()});
    if (!recursive) continue;
    auto inner = mounted_drive(record.key, record.pinned_version(), local);
    if (!inner && inner.error().code() == Errc::Loop) continue;  // listed once, not followed
    if (!inner) return inner.error();
    HM_TRY_ASSIGN(auto below, (*inner)->mounts(true));
    for (MountedDrive& m : below) {
      m.path = key_to_path(local) + m.path;
      found.push_back(std::move(m));
    }
  }
  return found;
}

Status Drive::same_drive(std::string_view a, std::string_view b) {
  HM_TRY_ASSIGN(Location first, locate(a, false));
  HM_TRY_ASSIGN(Location second, locate(b, false));
  if (first.drive != second.drive) {
    return Error{Errc::CrossDevice, fmt::format("{} and {} are in different drives", a, b)};
  }
  return {};
}

}  // namespace hypermount::drive
