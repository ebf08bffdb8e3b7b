#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace valence::detail {

void check_failed(const char* file, int line, const char* condition, const char* message) noexcept {
  std::fprintf(stderr, "valence: check failed at %s:%d: %s (%s)\n", file, line, message, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace valence::detail
