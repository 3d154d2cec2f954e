// Extension name <-> id mapping of one scope (a channel, or the stream on channel 0), wire.md §8.
// Plain value owned by a channel or session; use from its thread.
#pragma once

#include "wire/messages.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hypermount::wire {

class ExtensionNames {
 public:
  // Replaces this side's names; they are sorted (byte order, which is JS order for ASCII) and
  // de-duplicated. Returns the Options message announcing them (ack left unset).
  Options set_local(std::vector<std::string> names);
  // Records the names the remote announced in its latest Options, in its order.
  void set_remote(std::vector<std::string> names) { remote_ = std::move(names); }

  const std::vector<std::string>& local() const { return local_; }
  const std::vector<std::string>& remote() const { return remote_; }

  // The id this side sends for `name`; nullopt if it did not announce it.
  std::optional<uint64_t> local_id(const std::string& name) const;
  // Which of this side's extensions an incoming id means: the remote's name for the id, if this
  // side has an extension of that name too; nullopt otherwise (the message is dropped).
  std::optional<std::string> resolve_remote(uint64_t id) const;

  // An Extension message for `name`, or nullopt if it is not a local extension.
  std::optional<Extension> make_message(const std::string& name, Bytes payload) const;

 private:
  std::vector<std::string> local_;
  std::vector<std::string> remote_;
};

}  // namespace hypermount::wire
