// Driving an EventLoop from a test: until a condition holds, or for a while.
//
// A deadline here only keeps a broken test from hanging (it fails instead);
// no test asserts how fast something happened, because the suite runs on
// busy machines (docs: README.md, "Tests"). Shared by tests/loop,
// tests/transport, tests/ipc and tests/ports.
// Thread safety: plain functions; call them on the loop's thread.
#pragma once

#include <chrono>
#include <functional>

#include "valence/event_loop.h"

namespace valence::test {

using Clock = std::chrono::steady_clock;

// How long a test waits for something that should happen before it calls it
// lost. Generous: only a hang should reach it.
inline constexpr std::chrono::milliseconds kPatience{30000};

// Runs the loop until `done` (true) or until `timeout` passed (false).
bool run_until(EventLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = kPatience);

// Runs whatever becomes ready during `duration` (to show that nothing more
// happens), then once more without waiting: whatever was due or ready by
// the end has run, however late this thread got the CPU.
void run_for(EventLoop& loop, std::chrono::milliseconds duration);

}  // namespace valence::test
