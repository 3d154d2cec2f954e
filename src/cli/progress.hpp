// Progress of a long command (sync, create, import, export) on standard error: a bar redrawn in
// place on a terminal, a plain line every few seconds otherwise, nothing when quiet. Main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace hypermount::cli {

class Progress {
 public:
  enum class Mode { Bar, Lines, Quiet };
  // Bar when standard error is a terminal, Lines otherwise; Quiet with `quiet` (-q).
  static Mode mode_for(bool quiet);

  // `verb` starts each line ("sync", "import").
  Progress(std::string verb, Mode mode);

  // The work in all, when known (unknown parts are left out of the line).
  void set_total(uint64_t bytes, uint64_t files);
  // Work done so far and, for a network command, the peers connected. Draws at most every
  // kBarIntervalMs (a bar) or kLineIntervalMs (lines).
  void update(uint64_t bytes, uint64_t files, std::optional<size_t> peers = std::nullopt);
  Mode mode() const { return mode_; }
  // Draws the last state (a bar ends its line).
  void finish();

  static constexpr int64_t kBarIntervalMs = 100;
  static constexpr int64_t kLineIntervalMs = 2000;

 private:
  void draw();
  std::string line() const;

  std::string verb_;
  Mode mode_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point drawn_{};
  uint64_t total_bytes_ = 0;
  uint64_t total_files_ = 0;
  uint64_t bytes_ = 0;
  uint64_t files_ = 0;
  std::optional<size_t> peers_;
  std::string last_line_;  // Lines mode: a line the same as the one before is not printed again
};

// "1.5 MiB" and the like.
std::string human_bytes(double bytes);

}  // namespace hypermount::cli
