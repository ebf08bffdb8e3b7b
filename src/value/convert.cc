#include "valence/convert.h"

#include "valence/value.h"

namespace valence {

std::string ConvertPath::str() const {
  std::string out = root_;
  for (const auto& s : segments_) {
    if (s.is_index) {
      out += "[" + std::to_string(s.index) + "]";
    } else {
      out += "." + s.key;
    }
  }
  return out;
}

Unexpected ConvertPath::mismatch(std::string_view expected, const Value& got) const {
  const char* got_name = got.is_array() ? "array" : got.type_name();
  return make_error(ErrorCode::kTypeMismatch,
                    str() + ": expected " + std::string(expected) + ", got " + got_name);
}

Unexpected ConvertPath::error(std::string_view what) const {
  return make_error(ErrorCode::kTypeMismatch, str() + ": " + std::string(what));
}

}  // namespace valence
