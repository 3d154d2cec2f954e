// `hypermount core ...`: plumbing commands over one hypercore folder.
#include "cli/command.hpp"
#include "cli/exit_status.hpp"
#include "core/core.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>

namespace hypermount::cli {

namespace {

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<Bytes> read_file(std::string_view path) {
  auto file = store::File::open(std::string(path), store::OpenMode::ReadOnly);
  if (!file) return file.error();
  if (!file->exists()) return Error::not_found("no file {}", path);
  return file->read_all();
}

Status write_stdout(ByteView bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::io(errno, "writing to standard output");
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

int cmd_new(Args args) {
  if (args.size() != 1) return usage_error(core_commands()[0]);
  auto core = core::Core::create(std::string(args[0]));
  if (!core) return report(core.error());
  fmt::print("{}\n", to_hex((*core)->key()));
  return kExitOk;
}

int cmd_append(Args args) {
  if (args.empty()) return usage_error(core_commands()[1]);
  auto core = core::Core::open(std::string(args[0]), store::OpenMode::ReadWrite);
  if (!core) return report(core.error());
  if (!(*core)->writable()) {
    return report(Error::read_only("{} has no secret key: cannot append", args[0]));
  }
  std::vector<Bytes> blocks;
  if (args.size() > 1) {
    for (std::string_view path : args.subspan(1)) {
      auto bytes = read_file(path);
      if (!bytes) return report(bytes.error());
      blocks.push_back(std::move(*bytes));
    }
  } else {
    std::string line;
    while (std::getline(std::cin, line)) blocks.emplace_back(line.begin(), line.end());
  }
  std::vector<ByteView> views(blocks.begin(), blocks.end());
  if (auto s = (*core)->append(views); !s) return report(s.error());
  if (auto s = (*core)->sync(); !s) return report(s.error());
  fmt::print("{}\n", (*core)->length());
  return kExitOk;
}

int cmd_get(Args args) {
  if (args.size() < 2) return usage_error(core_commands()[2]);
  std::vector<uint64_t> seqs;
  for (size_t i = 1; i < args.size(); ++i) {
    auto seq = parse_u64(args[i]);
    if (!seq) return report(Error::invalid("block number '{}' is not a number", args[i]));
    seqs.push_back(*seq);
  }
  auto core = core::Core::open(std::string(args[0]), store::OpenMode::ReadOnly);
  if (!core) return report(core.error());
  for (uint64_t seq : seqs) {
    auto bytes = (*core)->get(seq);
    if (!bytes) return report(bytes.error());
    if (auto s = write_stdout(*bytes); !s) return report(s.error());
  }
  return kExitOk;
}

int cmd_info(Args args) {
  if (args.size() != 1) return usage_error(core_commands()[3]);
  auto core = core::Core::open(std::string(args[0]), store::OpenMode::ReadOnly);
  if (!core) return report(core.error());
  const core::Core& c = **core;
  fmt::print("key: {}\ndiscovery-key: {}\nlength: {}\nbyte-length: {}\nblocks-present: {}\n"
             "writable: {}\n",
             to_hex(c.key()), to_hex(c.discovery_key()), c.length(), c.byte_length(),
             c.blocks_present(), c.writable() ? "yes" : "no");
  return kExitOk;
}

int cmd_verify(Args args) {
  if (args.size() != 1) return usage_error(core_commands()[4]);
  auto core = core::Core::open(std::string(args[0]), store::OpenMode::ReadOnly);
  if (!core) return report(core.error());
  auto blocks = (*core)->verify_all();
  if (!blocks) return report(blocks.error());
  fmt::print("ok: {} blocks verified\n", *blocks);
  return kExitOk;
}

constexpr Command kCoreCommands[] = {
    {"core", "new", "DIR", "create a writable hypercore in DIR and print its key", cmd_new},
    {"core", "append", "DIR [FILE...]",
     "append each FILE as a block (or each line of standard input), one signed batch",
     cmd_append},
    {"core", "get", "DIR SEQ...", "write block SEQ (each SEQ in turn) to standard output", cmd_get},
    {"core", "info", "DIR", "print key, discovery key, length, byte length, blocks present",
     cmd_info},
    {"core", "verify", "DIR", "re-hash every block and node and check the signature",
     cmd_verify},
};

}  // namespace

std::span<const Command> core_commands() { return kCoreCommands; }

}  // namespace hypermount::cli
