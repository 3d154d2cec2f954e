// The shape of a hypermount subcommand: its words, a usage line, and the function that runs it.
// Main thread only.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace hypermount::cli {

using Args = std::span<const std::string_view>;

struct Command {
  std::string_view group;  // "core", "drive", ... or "" for a top-level command
  std::string_view name;
  std::string_view usage;  // arguments after the command words
  std::string_view summary;
  int (*run)(Args args);   // returns the exit status
};

// The commands of each group, listed by the file that implements them.
std::span<const Command> core_commands();
std::span<const Command> replication_commands();
std::span<const Command> drive_commands();
std::span<const Command> mount_commands();
std::span<const Command> drive_serve_commands();
std::span<const Command> mount_drive_commands();
std::span<const Command> dht_commands();
std::span<const Command> seed_commands();
std::span<const Command> file_commands();  // create, import, export
std::span<const Command> sync_commands();
std::span<const Command> info_commands();
std::span<const Command> store_commands();
std::span<const Command> keys_commands();

// Prints "usage: hypermount <group> <name> <usage>" to stderr and returns kExitUsage.
int usage_error(const Command& command);

}  // namespace hypermount::cli
