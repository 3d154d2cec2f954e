// Drive paths and trie keys: the reference's path cleanup, '.'/'..' resolution and the
// path -> trie key mapping (shared/spec/hyperdrive.md §3). Pure functions; any thread.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace hypermount::drive {

// What JS `unixify` (1.0, used by hyperdrive and mountable-hypertrie) does to a path: runs of
// '/' and '\' become one '/', trailing '/' are removed from strings longer than 2 characters,
// then one leading "<letters>:" (a drive prefix) or "./" is dropped. Also what symlink() does
// to a link target (a relative target stays relative).
std::string unixify(std::string_view path);

// The absolute drive path ("/", "/a/b") for `path`, as hyperdrive names it, with '.' components
// dropped and '..' components applied (the reference would store them literally; resolve them
// first, §3.3). InvalidArgument for a NUL byte or a '..' that climbs above the root.
Result<std::string> normalize_path(std::string_view path);

// The trie key of `path`: normalize_path without its leading '/'; the root is the empty key,
// which must never be written (§3.4). "/dir/small.txt" -> "dir/small.txt", "/a//b/" -> "a/b".
Result<std::string> path_to_key(std::string_view path);

// What a symlink at `link_path` (a path from the mount's root) pointing at `target` shows in a
// mount of a drive written by someone else, so that following it never leaves the mount: a
// target that is absolute or has a '..' component is resolved lexically in the drive ('..' at
// the root stays there, '/' is the drive's root) and given as a path up from the link's folder
// ("/etc/passwd" at "/a/b/l" -> "../../etc/passwd"); any other target is returned unchanged.
std::string confined_link_target(std::string_view link_path, std::string_view target);

// The absolute path of a trie key ("" -> "/").
std::string key_to_path(std::string_view key);

}  // namespace hypermount::drive
