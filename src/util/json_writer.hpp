// A small JSON writer for command output meant for scripts (`--json`): objects, arrays,
// strings (escaped), integers and booleans, written compactly. Any thread; one writer per text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypermount {

class JsonWriter {
 public:
  // Containers; inside an object each value is preceded by key().
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(uint64_t number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // The value, or null when there is none.
  template <typename T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  // A key and its value at once.
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& text() const { return out_; }

 private:
  void before_value();
  void write_string(std::string_view text);

  std::string out_;
  // Per open container: whether it has an element yet (a comma goes before the next).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace hypermount
