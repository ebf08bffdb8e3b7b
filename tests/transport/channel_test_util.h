// Shared by the channel tests: a recording delegate, socket pairs, raw
// frames and payload patterns; the loop driver, descriptor counts and
// write_all come from tests/support.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "support/fds.h"
#include "support/frames.h"
#include "support/loop_driver.h"
#include "transport/channel.h"
#include "transport/socket_posix.h"
#include "valence/event_loop.h"

namespace valence::transport {
// gtest prints a ChannelError by its name.
inline void PrintTo(ChannelError e, std::ostream* os) {
  *os << channel_error_name(e);
}
}  // namespace valence::transport

namespace valence::transport::test {

using namespace std::chrono_literals;
using namespace ::valence::test;

// Runs whatever is ready for a short while (to show nothing more happens).
inline void run_briefly(EventLoop& loop) {
  run_for(loop, 100ms);
}

inline Buffer make_payload(std::uint32_t seed, std::size_t size) {
  Buffer b(size);
  std::uint32_t x = seed * 2654435761u + 7u;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    b.data()[i] = static_cast<std::uint8_t>(x >> 24);
  }
  return b;
}

inline bool payload_matches(const Buffer& b, std::uint32_t seed, std::size_t size) {
  if (b.size() != size) return false;
  Buffer want = make_payload(seed, size);
  return size == 0 || std::memcmp(b.data(), want.data(), size) == 0;
}

class Recorder final : public Channel::Delegate {
 public:
  std::vector<Frame> frames;
  std::optional<ChannelError> error;
  std::string detail;
  std::function<void(Frame&)> frame_hook;
  std::function<void()> error_hook;
  int error_calls = 0;

  void on_frame(Frame frame) override {
    frames.push_back(std::move(frame));
    if (frame_hook) frame_hook(frames.back());
  }
  void on_channel_error(ChannelError e, const std::string& d) override {
    ++error_calls;
    error = e;
    detail = d;
    if (error_hook) error_hook();
  }
};

struct Sockets {
  UniqueFd a, b;
};
inline Sockets socket_pair() {
  auto p = make_socket_pair();
  EXPECT_TRUE(p.has_value());
  return {std::move(p->first), std::move(p->second)};
}

inline std::vector<std::uint8_t> raw_frame(std::uint8_t kind, std::size_t declared,
                                           std::size_t present) {
  std::vector<std::uint8_t> out(kFrameHeaderSize + present, 0x5A);
  write_frame_header(out.data(), static_cast<std::uint32_t>(declared), kind, 0);
  return out;
}

class ChannelTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventLoop> loop = EventLoop::create();
};

}  // namespace valence::transport::test
