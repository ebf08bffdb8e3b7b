// Conversions between WTF-8 (valence's string storage: UTF-8 that may also
// encode unpaired surrogates), UTF-16 and Latin-1.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace valence::unicode {

// True when every byte is < 0x80.
bool is_ascii(std::string_view s) noexcept;

// Decodes one WTF-8 sequence at s[i]; advances i. Malformed bytes decode to
// U+FFFD one byte at a time (as WHATWG's UTF-8 decoder does per maximal
// subpart, simplified). Returns the code point (surrogates included).
std::uint32_t next_code_point(std::string_view s, std::size_t& i) noexcept;

// Appends the UTF-16 code units of WTF-8 `s`.
void append_utf16(std::string_view wtf8, std::u16string& out);
// Appends WTF-8 for UTF-16 `units`: valid pairs become one 4-byte sequence,
// unpaired surrogates 3-byte sequences.
void append_wtf8(std::u16string_view units, std::string& out);
void append_wtf8_le(const std::uint8_t* le_units, std::size_t count, std::string& out);
// Appends WTF-8 for Latin-1 bytes.
void append_latin1(const std::uint8_t* bytes, std::size_t count, std::string& out);
void append_code_point(std::uint32_t cp, std::string& out);

// Number of UTF-16 code units `wtf8` holds.
std::size_t utf16_length(std::string_view wtf8) noexcept;
// The largest code unit (0 for an empty string).
std::uint32_t max_code_unit(std::string_view wtf8) noexcept;
// True when `wtf8` holds no surrogate code point.
bool is_well_formed(std::string_view wtf8) noexcept;
// UTF-8 with every surrogate replaced by U+FFFD.
std::string to_utf8(std::string_view wtf8);

}  // namespace valence::unicode
