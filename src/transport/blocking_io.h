// BlockingIo: a Channel's reads and writes while its thread blocks instead
// of running the loop — a native child or a page waiting in sendSync, or an
// owner that must get its last frames out before the process ends. The
// channel stays what it was: frames read here are returned, not given to the
// delegate (frames read past the one returned stay for the loop or the next
// read), and an error fails the channel as the loop would (the delegate's
// on_channel_error runs before the call returns).
//
// Thread rule: the channel's loop thread, from anywhere on it (a loop
// callback included); the loop does not run while a call blocks. Holds a
// reference: the Channel outlives it.
#pragma once

#include <chrono>

#include "transport/channel.h"
#include "transport/frame.h"
#include "valence/base/result.h"

namespace valence::transport {

class BlockingIo {
 public:
  // Reads poll for up to `spin` (yielding between polls) before they sleep:
  // waking a process that sleeps on another CPU costs more than most answers
  // take to come. Zero sleeps at once.
  explicit BlockingIo(Channel& channel, std::chrono::microseconds spin = {}) noexcept
      : channel_(channel), spin_(spin) {}

  // Writes everything queued, waiting for the socket as needed.
  // timeout_ms < 0 waits forever. Errors: kTimedOut (the channel stays),
  // kDisconnected.
  Result<void> flush(int timeout_ms);
  // Waits for the next frame. timeout_ms < 0 waits forever. Errors:
  // kTimedOut (the channel stays), kDisconnected, kBadMessage.
  Result<Frame> read_frame(int timeout_ms);

 private:
  // Polls for up to spin_; true when the socket became readable (or failed).
  bool spin_until_readable();
  Result<void> wait_readable(int timeout_ms, std::chrono::steady_clock::time_point deadline);

  Channel& channel_;
  std::chrono::microseconds spin_;
};

}  // namespace valence::transport
