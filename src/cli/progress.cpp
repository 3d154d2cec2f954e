#include "cli/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>

namespace hypermount::cli {

std::string human_bytes(double bytes) {
  constexpr std::array<const char*, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

Progress::Mode Progress::mode_for(bool quiet) {
  if (quiet) return Mode::Quiet;
  return ::isatty(STDERR_FILENO) == 1 ? Mode::Bar : Mode::Lines;
}

Progress::Progress(std::string verb, Mode mode) : verb_(std::move(verb)), mode_(mode) {}

void Progress::set_total(uint64_t bytes, uint64_t files) {
  total_bytes_ = bytes;
  total_files_ = files;
}

void Progress::update(uint64_t bytes, uint64_t files, std::optional<size_t> peers) {
  bytes_ = bytes;
  files_ = files;
  if (peers) peers_ = peers;
  if (mode_ == Mode::Quiet) return;
  const auto now = std::chrono::steady_clock::now();
  const int64_t interval = mode_ == Mode::Bar ? kBarIntervalMs : kLineIntervalMs;
  if (now - drawn_ < std::chrono::milliseconds(interval)) return;
  drawn_ = now;
  draw();
}

void Progress::finish() {
  if (mode_ == Mode::Quiet) return;
  draw();
  if (mode_ == Mode::Bar) std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string Progress::line() const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(bytes_) / seconds : 0;
  std::string text = verb_ + ": " + human_bytes(static_cast<double>(bytes_));
  if (total_bytes_ > 0) text += " of " + human_bytes(static_cast<double>(total_bytes_));
  text += fmt::format(", {} ", files_);
  if (total_files_ > 0) text += fmt::format("of {} ", total_files_);
  text += files_ == 1 && total_files_ <= 1 ? "file" : "files";
  text += ", " + human_bytes(rate) + "/s";
  if (total_bytes_ > bytes_ && rate > 0) {
    text += fmt::format(", ETA {:.0f} s", static_cast<double>(total_bytes_ - bytes_) / rate);
  }
  if (peers_) text += fmt::format(", {} peer{}", *peers_, *peers_ == 1 ? "" : "s");
  return text;
}

void Progress::draw() {
  std::string text = line();
  if (mode_ == Mode::Lines) {
    if (text != last_line_) fmt::print(stderr, "{}\n", text);
    last_line_ = std::move(text);
    return;
  }
  // [#####     ]  42% then the line; \r and clear-to-end redraw it in place.
  constexpr int kWidth = 20;
  const double done = total_bytes_ > 0 ? static_cast<double>(bytes_) / static_cast<double>(total_bytes_)
                      : total_files_ > 0 ? static_cast<double>(files_) / static_cast<double>(total_files_)
                                         : 0;
  const int filled = static_cast<int>(std::min(1.0, done) * kWidth);
  fmt::print(stderr, "\r[{}{}] {:3.0f}% {}\x1b[K", std::string(static_cast<size_t>(filled), '#'),
             std::string(static_cast<size_t>(kWidth - filled), ' '), std::min(1.0, done) * 100, text);
  std::fflush(stderr);
}

}  // namespace hypermount::cli
