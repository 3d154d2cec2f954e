// Test setup shared by the drive tests: a store in a temporary folder, own drives made in it by
// namespace name, and text as bytes.
#pragma once

#include "drive/drive.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

namespace hypermount::test {

inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct StoreFixture {
  TempDir dir;
  std::unique_ptr<corestore::Corestore> store;

  StoreFixture() {
    auto opened = corestore::Corestore::open(dir.path());
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }

  // The own (10.21) drive of namespace `name`, created on first use.
  std::unique_ptr<drive::Drive> own(const char* name) {
    auto d = drive::Drive::open_own(store->namespace_(name), corestore::DriveLine::V10_21);
    REQUIRE(d.ok());
    return std::move(*d);
  }
};

}  // namespace hypermount::test
