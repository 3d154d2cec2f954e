#include "util/log.hpp"

#include <cstdio>

namespace hypermount::log {

namespace {
Level g_level = Level::Warn;
constexpr const char* kLevelNames[] = {"error", "warn", "info", "debug", "trace"};
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

void write(Level l, std::string_view component, std::string_view message) {
  fmt::print(stderr, "hypermount[{}] {}: {}\n", component, kLevelNames[static_cast<int>(l)],
             message);
}

}  // namespace hypermount::log
