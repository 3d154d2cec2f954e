// Drive-engine benchmark through the Drive API (no FUSE): one case per process, so each peak RSS
// is the case's own; prints "FIGURE VALUE UNIT" lines that bench/drive_run.sh sets beside JS.
#include "drive/drive.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace hypermount;
using Clock = std::chrono::steady_clock;

namespace {

// Files per leaf directory of the tree case, and leaf directories per top-level directory.
constexpr size_t kTreeFilesPerDir = 1000;
constexpr size_t kTreeDirsPerTop = 10;
// Seed of the random stat order, fixed so that runs compare.
constexpr uint64_t kShuffleSeed = 42;

[[noreturn]] void die(const std::string& what) {
  fmt::print(stderr, "drive_bench: {}\n", what);
  std::exit(1);
}

template <typename T>
T take(Result<T> result, std::string_view what) {
  if (!result) die(fmt::format("{}: {}", what, result.error().to_string()));
  return std::move(*result);
}

void check(const Status& status, std::string_view what) {
  if (!status) die(fmt::format("{}: {}", what, status.error().to_string()));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(std::string_view figure, double value, std::string_view unit) {
  fmt::print("{} {:.1f} {}\n", figure, value, unit);
}

// Peak resident set of this process so far (ru_maxrss is in KiB on Linux).
void report_rss(std::string_view figure) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  report(fmt::format("{}.rss", figure), static_cast<double>(usage.ru_maxrss) / 1024, "MiB");
}

struct Opened {
  std::unique_ptr<corestore::Corestore> store;
  std::unique_ptr<drive::Drive> drive;
};

// The drive of the store at `dir` (created on first use), 10.21 line.
Opened open_drive(const std::string& dir) {
  Opened o;
  o.store = take(corestore::Corestore::open(dir), "open store");
  o.drive = take(drive::Drive::open_own(o.store->root_namespace(), corestore::DriveLine::V10_21),
                 "open drive");
  return o;
}

// The files of the one-folder case.
std::vector<std::string> dir_paths(size_t files) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < files; ++i) paths.push_back(fmt::format("/dir/f{:06}", i));
  return paths;
}

// Leaf directory `d` of the tree: /t<top>/d<leaf>.
std::string tree_dir(size_t d) {
  return fmt::format("/t{:03}/d{}", d / kTreeDirsPerTop, d % kTreeDirsPerTop);
}

size_t tree_leaf_dirs(size_t files) { return (files + kTreeFilesPerDir - 1) / kTreeFilesPerDir; }

// Every path of the tree case: its files, leaf directories and top-level directories.
std::vector<std::string> tree_paths(size_t files) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < files; ++i) {
    paths.push_back(fmt::format("{}/f{:04}", tree_dir(i / kTreeFilesPerDir), i % kTreeFilesPerDir));
  }
  size_t leaves = tree_leaf_dirs(files);
  for (size_t d = 0; d < leaves; ++d) paths.push_back(tree_dir(d));
  for (size_t t = 0; t * kTreeDirsPerTop < leaves; ++t) paths.push_back(fmt::format("/t{:03}", t));
  return paths;
}

// Small files written one write_file each; the tree's directories stay implicit, as when JS
// writeFile creates them.
void create_files(const std::string& dir, const std::vector<std::string>& files, bool mkdir,
                  std::string_view figure) {
  Opened o = open_drive(dir);
  auto start = Clock::now();
  if (mkdir) check(o.drive->mkdir("/dir"), "mkdir /dir");
  for (const std::string& path : files) {
    check(o.drive->write_file(path, as_bytes(path), drive::Stat{}), path);
  }
  report(figure, static_cast<double>(files.size()) / seconds_since(start), "files/s");
  report_rss(figure);
}

void stat_all(const std::string& dir, std::vector<std::string> paths, std::string_view figure) {
  Opened o = open_drive(dir);
  std::shuffle(paths.begin(), paths.end(), std::mt19937_64(kShuffleSeed));
  auto start = Clock::now();
  for (const std::string& path : paths) take(o.drive->lstat(path), path);
  report(figure, static_cast<double>(paths.size()) / seconds_since(start), "ops/s");
  report_rss(figure);
}

// Lists `path` and every directory below it; returns the number of entries seen.
size_t list_tree(drive::Drive& d, const std::string& path) {
  auto entries = take(d.readdir(path), path);
  size_t count = entries.size();
  for (const drive::DirListing& e : entries) {
    if (e.stat.is_directory()) count += list_tree(d, (path == "/" ? "" : path) + "/" + e.name);
  }
  return count;
}

// A cold listing (fresh process and store), then a second one over the warm engine.
void readdir_all(const std::string& dir, const std::string& path, size_t expected,
                 std::string_view figure) {
  Opened o = open_drive(dir);
  for (std::string_view pass : {"", ".warm"}) {
    auto start = Clock::now();
    size_t count = list_tree(*o.drive, path);
    double ms = seconds_since(start) * 1e3;
    if (count != expected) die(fmt::format("{} lists {} entries, expected {}", path, count, expected));
    report(fmt::format("{}{}", figure, pass), ms, "ms");
  }
  report_rss(figure);
}

// The big file streams through a buffer of one append batch, as the mount commits a staged
// file: the peak RSS is then the engine's own, not the file's size. Its bytes repeat every
// batch, which costs the hashing and writing as much as unrepeated ones.
void write_big(const std::string& dir, size_t mib) {
  const uint64_t size = uint64_t{mib} << 20;
  Bytes pattern(drive::Drive::kMaxBlockSize * drive::Drive::kAppendBatchBlocks);
  crypto::random_bytes(pattern.data(), pattern.size());
  auto source = [&pattern](uint64_t, size_t length) -> Result<ByteView> {
    return ByteView(pattern).first(std::min(length, pattern.size()));
  };
  Opened o = open_drive(dir);
  auto start = Clock::now();
  check(o.drive->write_file("/big", size, source, drive::Stat{}), "write /big");
  report("file.write", static_cast<double>(size) / 1e6 / seconds_since(start), "MB/s");
  report_rss("file.write");
}

// Read back a batch at a time, as a reader of the mount does.
void read_big(const std::string& dir, size_t mib) {
  const uint64_t size = uint64_t{mib} << 20;
  const size_t piece = drive::Drive::kMaxBlockSize * drive::Drive::kAppendBatchBlocks;
  Opened o = open_drive(dir);
  auto start = Clock::now();
  uint64_t read = 0;
  while (true) {
    Bytes data = take(o.drive->read("/big", read, piece), "read /big");
    if (data.empty()) break;
    read += data.size();
  }
  double seconds = seconds_since(start);
  if (read != size) die(fmt::format("/big has {} bytes", read));
  report("file.read", static_cast<double>(read) / 1e6 / seconds, "MB/s");
  report_rss("file.read");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr,
               "usage: drive_bench CASE STORE_DIR N\n"
               "  dir-create | dir-stat | dir-readdir: N files in /dir\n"
               "  tree-create | tree-stat | tree-readdir: N files in /tNNN/dN/ (1000 a folder)\n"
               "  file-write | file-read: one N MiB file\n");
    return 2;
  }
  if (!crypto::init()) return 1;
  const std::string c = argv[1];
  const std::string dir = argv[2];
  const size_t n = std::strtoull(argv[3], nullptr, 10);
  if (c == "dir-create") {
    create_files(dir, dir_paths(n), true, "dir.create");
  } else if (c == "dir-stat") {
    stat_all(dir, dir_paths(n), "dir.stat");
  } else if (c == "dir-readdir") {
    readdir_all(dir, "/dir", n, "dir.readdir");
  } else if (c == "tree-create") {
    std::vector<std::string> files = tree_paths(n);
    files.resize(n);
    create_files(dir, files, false, "tree.create");
  } else if (c == "tree-stat") {
    stat_all(dir, tree_paths(n), "tree.stat");
  } else if (c == "tree-readdir") {
    readdir_all(dir, "/", tree_paths(n).size(), "tree.readdir");
  } else if (c == "file-write") {
    write_big(dir, n);
  } else if (c == "file-read") {
    read_big(dir, n);
  } else {
    die("unknown case " + c);
  }
  return 0;
}
