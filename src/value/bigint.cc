#include <algorithm>

#include "valence/value.h"

namespace valence {
namespace {
void trim(std::vector<std::uint8_t>& m) {
  while (!m.empty() && m.back() == 0) m.pop_back();
}
}  // namespace

BigInt BigInt::from_uint64(std::uint64_t value) {
  BigInt b;
  while (value) {
    b.magnitude_.push_back(static_cast<std::uint8_t>(value & 0xFF));
    value >>= 8;
  }
  return b;
}

BigInt BigInt::from_int64(std::int64_t value) {
  std::uint64_t mag =
      value < 0 ? ~static_cast<std::uint64_t>(value) + 1 : static_cast<std::uint64_t>(value);
  BigInt b = from_uint64(mag);
  b.negative_ = value < 0;
  return b;
}

BigInt BigInt::from_magnitude(bool negative, std::span<const std::uint8_t> le_bytes) {
  BigInt b;
  b.magnitude_.assign(le_bytes.begin(), le_bytes.end());
  trim(b.magnitude_);
  b.negative_ = negative && !b.magnitude_.empty();
  return b;
}

std::optional<BigInt> BigInt::from_decimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  BigInt b;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    // magnitude = magnitude * 10 + digit
    unsigned carry = static_cast<unsigned>(c - '0');
    for (auto& byte : b.magnitude_) {
      unsigned v = byte * 10u + carry;
      byte = static_cast<std::uint8_t>(v & 0xFF);
      carry = v >> 8;
    }
    while (carry) {
      b.magnitude_.push_back(static_cast<std::uint8_t>(carry & 0xFF));
      carry >>= 8;
    }
  }
  trim(b.magnitude_);
  b.negative_ = negative && !b.magnitude_.empty();
  return b;
}

std::string BigInt::to_decimal() const {
  if (magnitude_.empty()) return "0";
  std::vector<std::uint8_t> m = magnitude_;  // little endian, divided in place
  std::string digits;
  while (!m.empty()) {
    unsigned rem = 0;
    for (std::size_t i = m.size(); i-- > 0;) {
      unsigned cur = (rem << 8) | m[i];
      m[i] = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
    trim(m);
  }
  if (negative_) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<std::uint64_t> BigInt::to_uint64() const {
  if (negative_ || magnitude_.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = magnitude_.size(); i-- > 0;) v = (v << 8) | magnitude_[i];
  return v;
}

std::optional<std::int64_t> BigInt::to_int64() const {
  if (magnitude_.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = magnitude_.size(); i-- > 0;) v = (v << 8) | magnitude_[i];
  if (!negative_) {
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX) + 1) return std::nullopt;
  return static_cast<std::int64_t>(~v + 1);
}

}  // namespace valence
