// ReportLimiter: at most one report per interval for one kind of event, so a
// peer that repeats a fault (thousands of refused connections a second)
// cannot flood the app's log; the next report counts what was left out.
// Thread safety: a value type; use from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace valence::ipc {

class ReportLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ReportLimiter(Clock::duration interval = std::chrono::seconds(10)) noexcept
      : interval_(interval) {}

  // The line to report now, or nothing when one was reported less than an
  // interval ago (this one is then counted).
  std::optional<std::string> take(const std::string& text, Clock::time_point now = Clock::now()) {
    if (reported_ && now - last_ < interval_) {
      ++left_out_;
      return std::nullopt;
    }
    std::string line = text;
    if (left_out_ > 0)
      line += " (and " + std::to_string(left_out_) + " more like it since the last report)";
    reported_ = true;
    last_ = now;
    left_out_ = 0;
    return line;
  }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool reported_ = false;
  std::size_t left_out_ = 0;
};

}  // namespace valence::ipc
