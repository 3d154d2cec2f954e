// Memory of this process while a test runs an attack: peak resident set (VmHWM) and bytes held
// by malloc, printed as one line per attack. Test code only; single-threaded use.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <string_view>

namespace hypermount::test {

constexpr double kMiB = 1024.0 * 1024.0;

// Peak resident set size (VmHWM of /proc/self/status) in MiB; 0 if unreadable.
inline double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// Bytes malloc has handed out now (arena blocks in use plus mmapped blocks), in MiB. Reserved
// but untouched memory counts here, unlike in the resident set. Under a sanitizer the
// allocator is not glibc's and this stays near 0.
inline double heap_mib() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / kMiB;
}

// Started before an attack: sets the kernel's peak back to the current resident set (so that
// earlier tests do not hide this one's peak) and notes the heap; sample() during the attack.
class MemoryProbe {
 public:
  MemoryProbe() {
    std::ofstream("/proc/self/clear_refs") << "5";
    rss_before_ = peak_rss_mib();
    heap_before_ = heap_peak_ = heap_mib();
  }
  void sample() { heap_peak_ = std::max(heap_peak_, heap_mib()); }
  double rss_growth_mib() const { return peak_rss_mib() - rss_before_; }
  double heap_growth_mib() const { return heap_peak_ - heap_before_; }

  // The line for the record: the attack, what it sent, the figures, the honest clone.
  void report(std::string_view attack, std::string_view sent, bool honest_verified) {
    sample();
    MESSAGE(fmt::format("attack {}: sent {}; peak RSS {:.1f} -> {:.1f} MiB, heap peak +{:.1f} MiB; "
                        "honest clone {}",
                        attack, sent, rss_before_, peak_rss_mib(), heap_growth_mib(),
                        honest_verified ? "verified" : "NOT verified"));
  }

 private:
  double rss_before_ = 0;
  double heap_before_ = 0;
  double heap_peak_ = 0;
};

}  // namespace hypermount::test
