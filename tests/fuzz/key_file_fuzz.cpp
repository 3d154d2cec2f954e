// libFuzzer target for the key file parser (`hypermount keys import`): any bytes parse or fail
// with InvalidArgument, and what parses reads back the same from its formatted form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "drive/key_file.hpp"

using namespace hypermount;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto keys = drive::parse_key_file(text);
  if (!keys) {
    if (keys.error().code() != Errc::InvalidArgument) std::abort();
    return 0;
  }
  auto again = drive::parse_key_file(drive::format_key_file(*keys));
  if (!again || again->metadata.pair.public_key != keys->metadata.pair.public_key ||
      again->content.pair.public_key != keys->content.pair.public_key ||
      again->metadata.length != keys->metadata.length || again->content.length != keys->content.length) {
    std::abort();
  }
  return 0;
}
