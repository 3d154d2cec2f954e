// Reproducible random bytes for tests: the same seed gives the same bytes.
// Header-only; tests include it as "random_bytes.hpp".
#pragma once

#include "util/bytes.hpp"

#include <random>

namespace hypermount::test {

inline Bytes random_bytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

}  // namespace hypermount::test
