#include "util/json_writer.hpp"

#include <doctest/doctest.h>

using hypermount::JsonWriter;

TEST_CASE("json writer: nested objects and arrays with commas in the right places") {
  JsonWriter json;
  json.begin_object().field("key", "ab").field("n", uint64_t{42}).field("w", true);
  json.key("list").begin_array().value(uint64_t{1}).value("x").null().end_array();
  json.key("empty").begin_object().end_object();
  json.end_object();
  CHECK(json.text() == R"({"key":"ab","n":42,"w":true,"list":[1,"x",null],"empty":{}})");
}

TEST_CASE("json writer: strings are escaped") {
  JsonWriter json;
  json.begin_array().value("a\"b\\c\nd\x01").end_array();
  CHECK(json.text() == R"(["a\"b\\c\nd\u0001"])");
}

TEST_CASE("json writer: an optional is its value or null") {
  JsonWriter json;
  json.begin_object().field("some", std::optional<uint64_t>(5)).field("none", std::optional<uint64_t>()).end_object();
  CHECK(json.text() == R"({"some":5,"none":null})");
}
