#include "support/loop_driver.h"

#include <algorithm>

namespace valence::test {

using namespace std::chrono_literals;

bool run_until(EventLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    loop.run_once(std::min<Clock::duration>(deadline - now, 10ms));
  }
  return true;
}

void run_for(EventLoop& loop, std::chrono::milliseconds duration) {
  auto until = Clock::now() + duration;
  for (auto now = Clock::now(); now < until; now = Clock::now())
    loop.run_once(std::min<Clock::duration>(until - now, 5ms));
  loop.run_once(0ms);
}

}  // namespace valence::test
