#include "base/unicode.h"

#include <cstring>

namespace valence::unicode {
namespace {
constexpr std::uint32_t kReplacement = 0xFFFD;

inline bool is_cont(std::uint8_t b) {
  return (b & 0xC0) == 0x80;
}
}  // namespace

bool is_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < n; ++i)
    if (static_cast<std::uint8_t>(p[i]) & 0x80) return false;
  return true;
}

std::uint32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t n = s.size();
  std::uint8_t b0 = p[i];
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len;
  std::uint32_t cp;
  std::uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    ++i;
    return kReplacement;
  }
  if (i + len > n) {
    ++i;
    return kReplacement;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (!is_cont(p[i + k])) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (p[i + k] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF) {
    ++i;
    return kReplacement;
  }
  i += len;
  return cp;
}

void append_code_point(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_utf16(std::string_view wtf8, std::u16string& out) {
  std::size_t i = 0;
  while (i < wtf8.size()) {
    std::uint32_t cp = next_code_point(wtf8, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
}

namespace {
template <class Get>
void append_wtf8_impl(std::size_t count, Get get, std::string& out) {
  out.reserve(out.size() + count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t u = get(i);
    if (u < 0x80) {
      out.push_back(static_cast<char>(u));
      continue;
    }
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < count) {
      std::uint32_t lo = get(i + 1);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_code_point(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), out);
        ++i;
        continue;
      }
    }
    append_code_point(u, out);
  }
}
}  // namespace

void append_wtf8(std::u16string_view units, std::string& out) {
  append_wtf8_impl(
      units.size(), [&](std::size_t i) { return std::uint32_t{units[i]}; }, out);
}

void append_wtf8_le(const std::uint8_t* le, std::size_t count, std::string& out) {
  append_wtf8_impl(
      count,
      [&](std::size_t i) { return std::uint32_t{le[2 * i]} | (std::uint32_t{le[2 * i + 1]} << 8); },
      out);
}

void append_latin1(const std::uint8_t* bytes, std::size_t count, std::string& out) {
  std::size_t start = out.size();
  // Fast path: all ASCII is a straight copy.
  if (is_ascii(std::string_view(reinterpret_cast<const char*>(bytes), count))) {
    out.resize(start + count);
    if (count) std::memcpy(out.data() + start, bytes, count);
    return;
  }
  out.reserve(start + count * 2);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t b = bytes[i];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
}

std::size_t utf16_length(std::string_view wtf8) noexcept {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < wtf8.size()) n += next_code_point(wtf8, i) >= 0x10000 ? 2u : 1u;
  return n;
}

std::uint32_t max_code_unit(std::string_view wtf8) noexcept {
  std::uint32_t m = 0;
  std::size_t i = 0;
  while (i < wtf8.size()) {
    std::uint32_t cp = next_code_point(wtf8, i);
    std::uint32_t unit = cp >= 0x10000 ? 0xDBFF : cp;
    if (unit > m) m = unit;
  }
  return m;
}

bool is_well_formed(std::string_view wtf8) noexcept {
  std::size_t i = 0;
  while (i < wtf8.size()) {
    std::uint32_t cp = next_code_point(wtf8, i);
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  }
  return true;
}

std::string to_utf8(std::string_view wtf8) {
  if (is_ascii(wtf8)) return std::string(wtf8);
  std::string out;
  out.reserve(wtf8.size());
  std::size_t i = 0;
  while (i < wtf8.size()) {
    std::uint32_t cp = next_code_point(wtf8, i);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacement;
    append_code_point(cp, out);
  }
  return out;
}

}  // namespace valence::unicode
