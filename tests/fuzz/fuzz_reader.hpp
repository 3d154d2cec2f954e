// Reads a libFuzzer input from the front, a byte or a run at a time; past its end every byte
// is zero and every run empty. Shared by the fuzz targets that parse several fields.
#pragma once

#include "util/bytes.hpp"

#include <cstddef>
#include <cstdint>

namespace hypermount::fuzz {

struct Reader {
  ByteView in;
  uint8_t byte() {
    if (in.empty()) return 0;
    uint8_t b = in[0];
    in = in.subspan(1);
    return b;
  }
  ByteView take(size_t n) {
    n = n < in.size() ? n : in.size();
    ByteView out = in.first(n);
    in = in.subspan(n);
    return out;
  }
};

}  // namespace hypermount::fuzz
