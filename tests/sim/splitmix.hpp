// SplitMix64: the simulation's small, seeded, reproducible random numbers (not for keys).
// Pure function of its state; any thread.
#pragma once

#include <cstdint>

namespace hypermount::sim {

inline uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace hypermount::sim
