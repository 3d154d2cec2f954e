#include "drive/key_file.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>

namespace hypermount::drive {

namespace {

constexpr std::string_view kMagic = "hypermount-keys 1";

std::string core_lines(std::string_view name, const CoreKeys& keys) {
  return fmt::format("{} {}\n{}-secret {}\n{}-length {}\n", name, to_hex(keys.pair.public_key), name,
                     to_hex(ByteView(keys.pair.secret_key.bytes())), name, keys.length);
}

Result<CoreKeys> core_keys(const std::map<std::string, std::string, std::less<>>& fields, const std::string& name) {
  auto field = [&](const std::string& key) -> Result<std::string> {
    auto it = fields.find(key);
    if (it == fields.end()) return Error::invalid("the key file has no '{}' line", key);
    return it->second;
  };
  CoreKeys keys;
  HM_TRY_ASSIGN(std::string public_hex, field(name));
  HM_TRY_ASSIGN(std::string secret_hex, field(name + "-secret"));
  HM_TRY_ASSIGN(std::string length, field(name + "-length"));
  auto public_key = array_from_hex<crypto::kPublicKeySize>(public_hex);
  auto secret_key = array_from_hex<crypto::kSecretKeySize>(secret_hex);
  if (!public_key || !secret_key) return Error::invalid("the key file's {} keys are not hex of the right length", name);
  keys.pair.public_key = *public_key;
  keys.pair.secret_key = crypto::SecretKey(*secret_key);
  if (crypto::public_key_of(keys.pair.secret_key) != keys.pair.public_key) {
    return Error::invalid("the key file's {} secret key does not belong to its public key", name);
  }
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), keys.length);
  if (ec != std::errc() || end != length.data() + length.size()) {
    return Error::invalid("the key file's {}-length is not a number", name);
  }
  return keys;
}

}  // namespace

std::string format_key_file(const DriveKeys& keys) {
  return fmt::format(
      "# hypermount drive keys: whoever has this file can write the drive. Keep it secret.\n"
      "# Import it into one store only (hypermount keys import FILE): a drive must never be\n"
      "# written from two stores.\n{}\n{}{}",
      kMagic, core_lines("drive", keys.metadata), core_lines("content", keys.content));
}

Result<DriveKeys> parse_key_file(std::string_view text) {
  if (text.size() > kMaxKeyFileSize) return Error::invalid("not a key file: larger than {} bytes", kMaxKeyFileSize);
  std::map<std::string, std::string, std::less<>> fields;
  bool magic = false;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line == kMagic) {
      magic = true;
      continue;
    }
    size_t space = line.find(' ');
    if (!magic) return Error::invalid("not a hypermount key file (no '{}' line first)", kMagic);
    if (space == std::string_view::npos) return Error::invalid("not a key file: line '{:.40}'", line);
    fields[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
  }
  if (!magic) return Error::invalid("not a hypermount key file (no '{}' line)", kMagic);
  DriveKeys keys;
  HM_TRY_ASSIGN(keys.metadata, core_keys(fields, "drive"));
  HM_TRY_ASSIGN(keys.content, core_keys(fields, "content"));
  return keys;
}

}  // namespace hypermount::drive
