#include <cstring>

#include "valence/codec.h"

namespace valence::codec {

bool ByteReader::read_byte(std::uint8_t& out) noexcept {
  if (pos_ >= bytes_.size()) return false;
  out = bytes_[pos_++];
  return true;
}

bool ByteReader::peek_byte(std::uint8_t& out) const noexcept {
  if (pos_ >= bytes_.size()) return false;
  out = bytes_[pos_];
  return true;
}

bool ByteReader::read_varint64(std::uint64_t& out) noexcept {
  std::uint64_t v = 0;
  unsigned shift = 0;
  while (pos_ < bytes_.size()) {
    std::uint8_t b = bytes_[pos_++];
    // V8 discards bits beyond the target width.
    if (shift < 64) v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      out = v;
      return true;
    }
  }
  return false;
}

bool ByteReader::read_varint32(std::uint32_t& out) noexcept {
  std::uint32_t v = 0;
  unsigned shift = 0;
  while (pos_ < bytes_.size()) {
    std::uint8_t b = bytes_[pos_++];
    if (shift < 32) v |= static_cast<std::uint32_t>(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      out = v;
      return true;
    }
  }
  return false;
}

bool ByteReader::read_double(double& out) noexcept {
  if (remaining() < 8) return false;
  std::memcpy(&out, bytes_.data() + pos_, 8);
  pos_ += 8;
  return true;
}

bool ByteReader::read_bytes(std::size_t n, std::span<const std::uint8_t>& out) noexcept {
  if (remaining() < n) return false;
  out = bytes_.subspan(pos_, n);
  pos_ += n;
  return true;
}

void write_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

}  // namespace valence::codec
