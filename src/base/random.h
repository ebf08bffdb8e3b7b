// Random identifiers from the kernel's CSPRNG (getrandom).
// Thread safety: reentrant.
#pragma once

#include <string>

namespace valence {
// 128 random bits as 32 hex digits.
std::string random_hex_id();
}  // namespace valence
