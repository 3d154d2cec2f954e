// Loads the JS-generated test vectors (shared/spec/vectors) for unit tests.
// The folder comes from HM_VECTORS, set by meson for every test.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hypermount::test {

inline nlohmann::json load_vectors(const std::string& name) {
  const char* dir = std::getenv("HM_VECTORS");
  std::string path = std::string(dir ? dir : "../shared/spec/vectors") + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open test vectors " + path);
  return nlohmann::json::parse(in);
}

}  // namespace hypermount::test
