// Result<T>: an outcome that is either a T or an Error, shaped like C++23's
// std::expected<T, Error> so it can become an alias once the toolchain floor
// (GCC 12) has <expected>. No exception crosses a valence layer: failures that
// a caller must handle come back as a Result; bugs go to VALENCE_CHECK.
//
// Thread safety: a value type; distinct objects may be used on distinct threads.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace valence {

class Value;  // valence/value.h; base only holds it by pointer

// Error kinds. The first four follow KJ's taxonomy; the rest are IPC-specific.
enum class ErrorCode : std::uint8_t {
  kFailed,           // something went wrong; the message says what
  kDisconnected,     // the peer or channel went away
  kOverloaded,       // a limit (size, depth, queue) was hit
  kUnimplemented,    // valid input that this build does not support
  kBadMessage,       // input from a peer failed validation
  kCloneError,       // a value cannot be carried (DataCloneError in browsers)
  kNoHandler,        // invoke on a channel without a handler
  kHandlerRejected,  // a handler threw or rejected
  kTypeMismatch,     // a Value is not what a C++ conversion expected
  kTimedOut,         // a deadline passed
};

const char* error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kFailed;
  std::string message;
  // The JS Error that crossed a process boundary intact (name via its
  // prototype, message, stack, cause), when there was one: an invoke's
  // handler error, for example.
  std::shared_ptr<const Value> remote{};

  friend bool operator==(const Error&, const Error&) = default;
};

// Tag type so that Result<T> can be built from an error unambiguously, as
// std::unexpected does.
struct Unexpected {
  Error error;
};

inline Unexpected make_error(ErrorCode code, std::string message) {
  return Unexpected{Error{code, std::move(message)}};
}

[[noreturn]] void result_access_failure(const Error* error, const char* what) noexcept;

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  template <class U = T, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                  !std::is_same_v<std::decay_t<U>, Result> &&
                                                  !std::is_same_v<std::decay_t<U>, Unexpected>>>
  Result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  Result(Unexpected unexpected)  // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<1>, std::move(unexpected.error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    if (!has_value()) result_access_failure(&std::get<1>(state_), "value()");
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!has_value()) result_access_failure(&std::get<1>(state_), "value()");
    return std::get<0>(state_);
  }
  T&& value() && {
    if (!has_value()) result_access_failure(&std::get<1>(state_), "value()");
    return std::get<0>(std::move(state_));
  }
  const Error& error() const& {
    if (has_value()) result_access_failure(nullptr, "error()");
    return std::get<1>(state_);
  }
  Error&& error() && {
    if (has_value()) result_access_failure(nullptr, "error()");
    return std::get<1>(std::move(state_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Unexpected unexpected)  // NOLINT(google-explicit-constructor)
      : error_(std::move(unexpected.error)), failed_(true) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (failed_) result_access_failure(&error_, "value()");
  }
  const Error& error() const& {
    if (!failed_) result_access_failure(nullptr, "error()");
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace valence

// Returns the error of a Result-returning expression from the enclosing function.
#define VALENCE_RETURN_IF_ERROR(expr)                                                        \
  do {                                                                                       \
    auto valence_result_ = (expr);                                                           \
    if (!valence_result_.has_value()) return ::valence::Unexpected{valence_result_.error()}; \
  } while (false)
