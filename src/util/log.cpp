#include "util/log.hpp"

#include <syslog.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace hypermount::log {

namespace {
enum class Sink { Stderr, File, Syslog };

Level g_level = Level::Warn;
Sink g_sink = Sink::Stderr;
std::FILE* g_file = nullptr;
std::string g_path;
constexpr const char* kLevelNames[] = {"error", "warn", "info", "debug", "trace"};
constexpr int kSyslogPriorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG};

Result<std::FILE*> open_append(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "ae");  // O_APPEND | O_CREAT, close-on-exec
  if (file == nullptr) return Error::io(errno, "opening the log file {}", path);
  return file;
}

// "2024-05-01 13:04:05.123", local time.
std::string timestamp() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm local{};
  localtime_r(&now.tv_sec, &local);
  char text[32];
  size_t n = std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
  return fmt::format("{}.{:03}", std::string_view(text, n), now.tv_nsec / 1000000);
}
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

void write(Level l, std::string_view component, std::string_view message) {
  const int index = static_cast<int>(l);
  switch (g_sink) {
    case Sink::Stderr:
      fmt::print(stderr, "hypermount[{}] {}: {}\n", component, kLevelNames[index], message);
      break;
    case Sink::File:
      fmt::print(g_file, "{} hypermount[{}] {}: {}\n", timestamp(), component, kLevelNames[index], message);
      std::fflush(g_file);
      break;
    case Sink::Syslog: {
      std::string line = fmt::format("[{}] {}: {}", component, kLevelNames[index], message);
      syslog(kSyslogPriorities[index], "%s", line.c_str());
      break;
    }
  }
}

Status to_file(const std::string& path) {
  HM_TRY_ASSIGN(std::FILE* file, open_append(path));
  if (g_file != nullptr) std::fclose(g_file);
  g_file = file;
  g_path = path;
  g_sink = Sink::File;
  return {};
}

Status reopen() {
  if (g_sink != Sink::File) return {};
  return to_file(g_path);
}

void to_syslog() {
  openlog("hypermount", LOG_PID, LOG_DAEMON);
  g_sink = Sink::Syslog;
}

bool on_stderr() { return g_sink == Sink::Stderr; }

}  // namespace hypermount::log
