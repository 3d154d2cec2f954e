// The logging facade: leveled, component-tagged messages to stderr, formatted with fmt.
// The level is a process-wide setting; call from the loop thread (or before it starts).
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace hypermount::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

void set_level(Level level);
Level level();
inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }
void write(Level l, std::string_view component, std::string_view message);

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
