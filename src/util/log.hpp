// The logging facade: leveled, component-tagged messages formatted with fmt, to one sink: stderr
// (the default), a file (timestamped lines, reopened on request) or syslog. The level and the
// sink are process-wide settings; call from the loop thread (or before it starts).
#pragma once

#include "util/result.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace hypermount::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

void set_level(Level level);
Level level();
inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }
void write(Level l, std::string_view component, std::string_view message);

// From now on, lines are appended to the file at `path` (created 0644 if missing), each with a
// local timestamp; Io if it cannot be opened (the sink is then unchanged).
Status to_file(const std::string& path);
// Opens the log file's path again (after logrotate or mv moved it away); nothing to do for the
// other sinks. Io if it cannot be opened: lines go on to the file open until then.
Status reopen();
// From now on, lines go to syslog (ident "hypermount", facility daemon).
void to_syslog();
// Whether lines go to stderr (nothing else was chosen).
bool on_stderr();

template <typename... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Error)) write(Level::Error, component, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Warn)) write(Level::Warn, component, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Info)) write(Level::Info, component, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Debug)) write(Level::Debug, component, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void trace(std::string_view component, fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Trace)) write(Level::Trace, component, fmt::format(f, std::forward<Args>(a)...));
}

}  // namespace hypermount::log
