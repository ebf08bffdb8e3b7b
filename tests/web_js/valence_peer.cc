// The C++ codec as a peer for tests/web_js/cpp_peer_test.js.
//
// Reads frames from stdin: a 4-byte big-endian payload length, then the
// payload (a complete encoding, FF 0F ...). Each payload is decoded with
// Form::kValence and the value encoded again with Form::kValence; the reply
// frame (same shape, on stdout) holds the new encoding. When decoding or
// encoding fails the reply payload is '!' followed by the error message (a
// real encoding always starts with 0xFF). Exits 0 at end of input.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "valence/codec.h"

namespace {

bool read_exactly(int fd, std::uint8_t* data, std::size_t n, bool& eof) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, data + done, n - done);
    if (r == 0) {
      eof = done == 0;
      return false;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(r);
  }
  return true;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool write_frame(const std::vector<std::uint8_t>& payload) {
  auto n = static_cast<std::uint32_t>(payload.size());
  std::uint8_t header[4] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  return write_all(1, header, 4) && write_all(1, payload.data(), payload.size());
}

std::vector<std::uint8_t> error_payload(const std::string& message) {
  const std::string text = "!" + message;
  return {text.begin(), text.end()};
}

}  // namespace

int main() {
  namespace codec = valence::codec;
  std::vector<std::uint8_t> payload;
  for (;;) {
    std::uint8_t header[4];
    bool eof = false;
    if (!read_exactly(0, header, 4, eof)) return eof ? 0 : 1;
    std::uint32_t n = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                      (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
    payload.resize(n);
    if (n > 0 && !read_exactly(0, payload.data(), n, eof)) return 1;

    codec::DecodeOptions decode_options;
    decode_options.form = codec::Form::kValence;
    auto value = codec::decode(payload, decode_options);
    std::vector<std::uint8_t> reply;
    if (!value) {
      reply = error_payload(value.error().message);
    } else {
      codec::EncodeOptions encode_options;
      encode_options.form = codec::Form::kValence;
      auto bytes = codec::encode(*value, encode_options);
      reply = bytes ? std::move(*bytes) : error_payload(bytes.error().message);
    }
    if (!write_frame(reply)) return 1;
  }
}
