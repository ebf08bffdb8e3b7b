// Shared by the MessagePort tests (in-process and multiprocess): byte
// patterns and port message bodies; the loop driver, descriptor and RSS
// counts and raw frames come from tests/support.
// Thread safety: plain functions.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "support/fds.h"
#include "support/frames.h"
#include "support/loop_driver.h"
#include "valence/value.h"

namespace valence::ports_test {

using namespace std::chrono_literals;
using namespace ::valence::test;

// A reproducible byte pattern.
inline std::vector<std::uint8_t> pattern(std::uint32_t seed, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  std::uint32_t x = seed * 2654435761u + 7u;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

inline Value array_buffer_of(const std::vector<std::uint8_t>& bytes) {
  return Value(ArrayBuffer(Bytes(bytes.data(), bytes.size())));
}

inline bool same_bytes(const Value& v, const std::vector<std::uint8_t>& bytes) {
  if (!v.is_array_buffer()) return false;
  auto span = v.get_array_buffer().bytes().span();
  return span.size() == bytes.size() && std::equal(span.begin(), span.end(), bytes.begin());
}

// The body of kPostMessage / kPortMessage: [message, [[prefix, unsent, entangle id]...]].
inline Value post_body(Value message, std::size_t n_ports) {
  Value body = Value::array({});
  body.get_array().push_back(std::move(message));
  Value records = Value::array({});
  for (std::size_t i = 0; i < n_ports; ++i)
    records.get_array().push_back(
        Value::array({Value(ArrayBuffer(Bytes())), Value(ArrayBuffer(Bytes())), Value("")}));
  body.get_array().push_back(std::move(records));
  return body;
}

}  // namespace valence::ports_test
