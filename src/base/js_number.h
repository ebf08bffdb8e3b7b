// JS Number::toString(10) for doubles: the shortest text that round-trips,
// in JS notation ("1e+21", "1.5e-7", "-0" renders as "0", "NaN", "Infinity").
// Thread safety: pure function.
#pragma once

#include <string>

namespace valence {
std::string js_number_to_string(double d);
}  // namespace valence
