// libFuzzer target for the drive address parser (hyper://KEY+VERSION, dat://KEY, hex): any text
// parses or fails with InvalidArgument, and what parses reads back from its formatted form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "drive/drive_url.hpp"

using namespace hypermount;

// Seeds: tests/fuzz/make_seeds.py (drive keys from shared/spec; none when it is missing).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto url = drive::parse_drive_url(text);
  if (!url) {
    if (url.error().code() != Errc::InvalidArgument) std::abort();
    return 0;
  }
  auto again = drive::parse_drive_url(drive::format_drive_url(url->key, url->version));
  if (!again || again->key != url->key || again->version != url->version) std::abort();
  return 0;
}
