#include "wire/extensions.hpp"

#include <doctest/doctest.h>

namespace hypermount {
namespace {

TEST_CASE("extensions: ids follow each side's sorted list (spec §8 example)") {
  wire::ExtensionNames reader;
  wire::Options announced = reader.set_local({"spec-example", "aaa-unused", "spec-example"});
  CHECK(announced.extensions == std::vector<std::string>{"aaa-unused", "spec-example"});
  CHECK(reader.local_id("spec-example") == 1u);
  CHECK_FALSE(reader.local_id("nope").has_value());

  wire::ExtensionNames writer;
  writer.set_local({"spec-example"});
  writer.set_remote(announced.extensions);
  reader.set_remote(writer.local());

  auto ping = reader.make_message("spec-example", Bytes{'p'});
  REQUIRE(ping.has_value());
  CHECK(ping->id == 1);
  CHECK(writer.resolve_remote(ping->id) == std::optional<std::string>("spec-example"));
  CHECK_FALSE(writer.resolve_remote(0).has_value());  // "aaa-unused": writer lacks it
  CHECK_FALSE(writer.resolve_remote(9).has_value());
  auto pong = writer.make_message("spec-example", Bytes{'q'});
  REQUIRE(pong.has_value());
  CHECK(pong->id == 0);
  CHECK(reader.resolve_remote(0) == std::optional<std::string>("spec-example"));
}

}  // namespace
}  // namespace hypermount
