// VALENCE_CHECK: aborts with file, line and a message when a precondition (a
// caller's bug) or an invariant (our bug) fails. Never used for input from a
// peer: that is a Result error.
#pragma once

namespace valence::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               const char* message) noexcept;
}  // namespace valence::detail

#define VALENCE_CHECK(cond, msg) \
  ((cond) ? static_cast<void>(0) : ::valence::detail::check_failed(__FILE__, __LINE__, #cond, msg))
