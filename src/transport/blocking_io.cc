#include "transport/blocking_io.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>

#include <sched.h>

#include "transport/socket_posix.h"

namespace valence::transport {
namespace {

// What to give poll() until `deadline`: -1 (no deadline) when timeout_ms < 0,
// else the milliseconds left; nothing once the deadline has passed.
std::optional<int> poll_timeout(int timeout_ms, std::chrono::steady_clock::time_point deadline) {
  if (timeout_ms < 0) return -1;
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
          .count();
  if (left <= 0) return std::nullopt;
  return static_cast<int>(std::min<long long>(left, INT_MAX));
}

}  // namespace

Result<void> BlockingIo::flush(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  Channel& c = channel_;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!c.queue_.empty()) {
    if (!c.socket_.valid()) return make_error(ErrorCode::kDisconnected, "the channel is closed");
    std::size_t before = c.queued_bytes_;
    if (!c.write_some())
      return make_error(ErrorCode::kDisconnected, "the channel failed while writing");
    if (c.queue_.empty()) break;
    if (c.queued_bytes_ != before) continue;
    auto wait = poll_timeout(timeout_ms, deadline);
    if (!wait) return make_error(ErrorCode::kTimedOut, "timed out writing");
    auto w = wait_fd(c.socket_.get(), true, *wait);
    if (!w) return Unexpected{w.error()};
  }
  c.update_interest();
  return {};
}

Result<Frame> BlockingIo::read_frame(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  Channel& c = channel_;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  // The caller usually just sent a request: wait for the socket before the
  // first read instead of spending a recvmsg on EAGAIN.
  bool wait_first = true;
  bool reset_seen = false;
  for (;;) {
    if (!c.socket_.valid()) return make_error(ErrorCode::kDisconnected, "the channel is closed");
    Frame frame;
    auto status = c.parser_.next(frame);
    if (status == FrameParser::Status::kFrame) return frame;
    if (status == FrameParser::Status::kError) {
      std::string detail = c.parser_.error();
      c.fail(ChannelError::kMalformed, detail);
      return make_error(ErrorCode::kBadMessage, detail);
    }
    if (c.eof_) {
      c.fail(ChannelError::kDisconnected, "the peer closed the connection");
      return make_error(ErrorCode::kDisconnected, "the peer closed the connection");
    }
    // Without a deadline, sleep in recvmsg itself (after the spin).
    bool block = false;
    if (wait_first) {
      wait_first = false;
      if (timeout_ms < 0) {
        spin_until_readable();
        block = true;
      } else {
        auto ready = wait_readable(timeout_ms, deadline);
        if (!ready) return Unexpected{ready.error()};
      }
    }
    bool eof = false, would_block = false;
    auto r = c.receive(eof, would_block, nullptr, block);
    if (!r && r.error().code == ErrorCode::kDisconnected && !reset_seen) {
      reset_seen = true;  // see Channel::read_some(): data may follow the reset
      continue;
    }
    if (!r) {
      std::string detail = r.error().message;
      c.fail(r.error().code == ErrorCode::kDisconnected ? ChannelError::kDisconnected
                                                        : ChannelError::kIoError,
             detail);
      return make_error(ErrorCode::kDisconnected, detail);
    }
    if (eof) c.eof_ = true;
    if (!would_block) continue;
    auto ready = wait_readable(timeout_ms, deadline);
    if (!ready) return Unexpected{ready.error()};
  }
}

bool BlockingIo::spin_until_readable() {
  using Clock = std::chrono::steady_clock;
  if (spin_.count() <= 0) return false;
  auto spin_end = Clock::now() + spin_;
  for (;;) {
    auto ready = wait_fd(channel_.socket_.get(), false, 0);
    if (!ready || *ready) return true;
    if (Clock::now() >= spin_end) return false;
    ::sched_yield();
  }
}

Result<void> BlockingIo::wait_readable(int timeout_ms,
                                       std::chrono::steady_clock::time_point deadline) {
  if (spin_until_readable()) return {};
  auto wait = poll_timeout(timeout_ms, deadline);
  if (!wait) return make_error(ErrorCode::kTimedOut, "timed out waiting for a frame");
  auto w = wait_fd(channel_.socket_.get(), false, *wait);
  if (!w) return Unexpected{w.error()};
  if (!*w) return make_error(ErrorCode::kTimedOut, "timed out waiting for a frame");
  return {};
}

}  // namespace valence::transport
