#include "base/unicode.h"
#include "valence/value.h"

namespace valence {

String String::from_utf16(std::u16string_view units) {
  String s;
  unicode::append_wtf8(units, s.data_);
  return s;
}

String String::from_latin1(std::string_view bytes) {
  String s;
  unicode::append_latin1(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                         s.data_);
  return s;
}

std::string String::utf8() const {
  return unicode::to_utf8(data_);
}

std::u16string String::utf16() const {
  std::u16string out;
  out.reserve(data_.size());
  unicode::append_utf16(data_, out);
  return out;
}

bool String::is_well_formed() const {
  return unicode::is_well_formed(data_);
}
bool String::is_ascii() const {
  return unicode::is_ascii(data_);
}
std::size_t String::length() const {
  return is_ascii() ? data_.size() : unicode::utf16_length(data_);
}

}  // namespace valence
