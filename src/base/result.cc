#include "valence/base/result.h"

#include <cstdio>

namespace valence {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kFailed: return "failed";
    case ErrorCode::kDisconnected: return "disconnected";
    case ErrorCode::kOverloaded: return "overloaded";
    case ErrorCode::kUnimplemented: return "unimplemented";
    case ErrorCode::kBadMessage: return "bad_message";
    case ErrorCode::kCloneError: return "clone_error";
    case ErrorCode::kNoHandler: return "no_handler";
    case ErrorCode::kHandlerRejected: return "handler_rejected";
    case ErrorCode::kTypeMismatch: return "type_mismatch";
    case ErrorCode::kTimedOut: return "timed_out";
  }
  return "unknown";
}

void result_access_failure(const Error* error, const char* what) noexcept {
  if (error) {
    std::fprintf(stderr, "valence: Result::%s on an error: %s: %s\n", what,
                 error_code_name(error->code), error->message.c_str());
  } else {
    std::fprintf(stderr, "valence: Result::%s on a value\n", what);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace valence
