// FrameParser: turns a byte stream (and the descriptors that came with it)
// into frames. Pure: no syscalls, so it is unit-tested and fuzzed directly.
//
// Memory: small frames are parsed out of one staging buffer; a large frame's
// payload grows only as its bytes arrive (never more than twice what was
// received), so a header that lies about its size costs nothing.
//
// Thread safety: a value type; use from one thread at a time.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "transport/frame.h"

namespace valence::transport {

struct ParserLimits {
  std::size_t max_payload = std::size_t{1} << 30;  // 1 GiB
  std::size_t max_fds = 64;
};

class FrameParser {
 public:
  explicit FrameParser(ParserLimits limits = {}) : limits_(limits) {}
  // Applies to frames whose header has not been parsed yet.
  void set_max_payload(std::size_t max_payload) noexcept { limits_.max_payload = max_payload; }

  // Where the next read may write, at least `min` bytes long. When a large
  // frame's payload is being collected this points into the payload itself
  // (bytes are read once, straight to their final place).
  std::span<std::uint8_t> prepare(std::size_t min = 64 * 1024);
  // `n` bytes were written into the span from prepare().
  void commit(std::size_t n);
  // Convenience for tests and fuzzers: copies `bytes` in.
  void feed(std::span<const std::uint8_t> bytes);
  // Descriptors that arrived; they belong to the frames in order.
  void add_fds(std::vector<UniqueFd>& fds);

  enum class Status { kFrame, kNeedMore, kError };
  // Produces the next complete frame, if any. After kError the parser stays
  // in error; `error()` says what was wrong.
  Status next(Frame& out);
  const std::string& error() const noexcept { return error_; }
  // Bytes received but not yet returned as frames (including a partial one).
  std::size_t buffered_bytes() const noexcept;
  // Moves out every byte received but not yet returned as a frame (header
  // included), leaving the parser empty. False (and nothing moved) when
  // descriptors of a partial frame are held.
  bool take_buffered(Buffer& out);
  bool can_take_buffered() const noexcept {
    return pending_fds() == 0 && !(in_large_ && !large_.fds.empty());
  }
  // Descriptors held that no complete frame has claimed yet.
  std::size_t pending_fds() const noexcept { return fds_.size() - fds_taken_; }

 private:
  Status fail(std::string message);
  Status orphan_fds();

  ParserLimits limits_;
  Buffer staging_;            // received bytes not yet parsed
  std::size_t consumed_ = 0;  // parsed bytes at the front of staging_
  bool in_large_ = false;     // collecting a large payload directly
  Frame large_;
  std::size_t large_size_ = 0;
  std::vector<UniqueFd> fds_;
  std::size_t fds_taken_ = 0;
  std::string error_;
};

}  // namespace valence::transport
