// Error values and Result<T>: how every fallible operation reports failure (no exceptions).
// Plain value types; usable from any thread.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

namespace hypermount {

enum class Errc {
  NotFound,
  Exists,
  NotDir,
  IsDir,
  NotEmpty,
  ReadOnly,
  InvalidArgument,
  Corrupt,
  Io,
  Timeout,
  Unavailable,
  Cancelled,
  Unsupported,
  Protocol,
  Loop,         // a drive mounted inside itself
  Busy,         // in use (a mount point)
  CrossDevice,  // across drives (rename between mounts)
};

const char* errc_name(Errc code);

// A closed set of codes plus a context sentence saying which operation failed on which object,
// and for system failures the errno.
class Error {
 public:
  Error(Errc code, std::string message, int sys_errno = 0)
      : code_(code), message_(std::move(message)), sys_errno_(sys_errno) {}

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  int sys_errno() const { return sys_errno_; }
  // "corrupt: tree node 4 of /x/tree: hash mismatch" style text for logs and the CLI.
  std::string to_string() const;

  template <typename... Args>
  static Error not_found(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::NotFound, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error exists(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Exists, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error read_only(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::ReadOnly, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error invalid(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::InvalidArgument, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error corrupt(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Corrupt, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error protocol(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Protocol, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error unsupported(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Unsupported, fmt::format(f, std::forward<Args>(a)...)};
  }
  template <typename... Args>
  static Error unavailable(fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Unavailable, fmt::format(f, std::forward<Args>(a)...)};
  }
  // A failed system call: keeps errno and says what was being done.
  template <typename... Args>
  static Error io(int sys_errno, fmt::format_string<Args...> f, Args&&... a) {
    return {Errc::Io, fmt::format(f, std::forward<Args>(a)...), sys_errno};
  }

 private:
  Errc code_;
  std::string message_;
  int sys_errno_;
};

// Value or Error, shaped like std::expected so it can become an alias under C++23.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool has_value() const { return v_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool has_value() const { return !failed_; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const Error& error() const { return error_; }

 private:
  Error error_{Errc::Io, {}};
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace hypermount

// Propagates the error of a Result-returning expression out of the current function.
#define HM_TRY(expr)                                   \
  do {                                                 \
    auto hm_try_result_ = (expr);                      \
    if (!hm_try_result_) return hm_try_result_.error(); \
  } while (0)

// Evaluates a Result<T> expression, returns its error, or moves its value into `lhs`.
#define HM_TRY_ASSIGN(lhs, expr)                          \
  auto HM_CONCAT_(hm_r_, __LINE__) = (expr);               \
  if (!HM_CONCAT_(hm_r_, __LINE__)) return HM_CONCAT_(hm_r_, __LINE__).error(); \
  lhs = std::move(HM_CONCAT_(hm_r_, __LINE__)).value()
#define HM_CONCAT_(a, b) HM_CONCAT2_(a, b)
#define HM_CONCAT2_(a, b) a##b
