#include "cli/seed_list.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

namespace hypermount::cli {

namespace {

std::string list_path(const std::string& store_dir) { return store_dir + "/" + kSeedListFile; }

// Writes all of `text` to `fd`; false on an error (errno set).
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Status write_seed_list(const std::string& store_dir, const std::vector<crypto::PublicKey>& keys) {
  std::string text;
  for (const crypto::PublicKey& key : keys) text += to_hex(key) + "\n";
  const std::string path = list_path(store_dir);
  const std::string temporary = path + ".new";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::io(errno, "creating {}", temporary);
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) return Error::io(write_errno, "writing {}", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Error::io(errno, "renaming {} to {}", temporary, path);
  if (int dir = ::open(store_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);  // the rename itself reaches the disk
    ::close(dir);
  }
  return {};
}

}  // namespace

Result<std::vector<crypto::PublicKey>> read_seed_list(const std::string& store_dir) {
  const std::string path = list_path(store_dir);
  std::ifstream file(path);
  std::vector<crypto::PublicKey> keys;
  if (!file) {
    if (errno == ENOENT) return keys;
    return Error::io(errno, "opening {}", path);
  }
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    auto key = array_from_hex<crypto::kPublicKeySize>(line);
    if (!key) return Error::corrupt("{} line {} is not a drive key", path, number);
    keys.push_back(*key);
  }
  return keys;
}

Result<std::vector<crypto::PublicKey>> change_seed_list(const std::string& store_dir, SeedListChange change,
                                                        const std::vector<crypto::PublicKey>& keys) {
  const std::string lock_path = list_path(store_dir) + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) return Error::io(errno, "opening {}", lock_path);
  if (::flock(lock, LOCK_EX) != 0) {
    const int lock_errno = errno;
    ::close(lock);
    return Error::io(lock_errno, "locking {}", lock_path);
  }
  auto changed = [&]() -> Result<std::vector<crypto::PublicKey>> {
    HM_TRY_ASSIGN(std::vector<crypto::PublicKey> set, read_seed_list(store_dir));
    for (const crypto::PublicKey& key : keys) {
      auto at = std::find(set.begin(), set.end(), key);
      if (change == SeedListChange::Add && at == set.end()) set.push_back(key);
      if (change == SeedListChange::Remove && at != set.end()) set.erase(at);
    }
    HM_TRY(write_seed_list(store_dir, set));
    return set;
  }();
  ::close(lock);  // releases the lock
  return changed;
}

}  // namespace hypermount::cli
