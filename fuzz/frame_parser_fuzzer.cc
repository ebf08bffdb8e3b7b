// libFuzzer target: FrameParser over arbitrary bytes, fed in random pieces
// (through feed() and through the prepare()/commit() path the channel uses),
// with descriptors arriving between pieces; next() is drained after every
// piece until kNeedMore or kError.
//
// Input: byte 0 picks the limits, bytes 1-4 seed the chunking; the rest is
// the byte stream. Checked after every piece: every byte fed is either in a
// returned frame (header + payload) or counted by buffered_bytes(); frames
// respect the limits; kError is sticky and explained. A finding is a
// sanitizer report, a hang, or an abort here.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "transport/frame.h"
#include "transport/frame_parser.h"

namespace {

using valence::UniqueFd;
using valence::transport::Frame;
using valence::transport::FrameParser;
using valence::transport::kFrameHeaderSize;
using valence::transport::ParserLimits;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "frame_parser_fuzzer: %s\n", what);
  std::abort();
}

// A small deterministic generator for the chunk sizes.
struct Rng {
  std::uint32_t x;
  std::uint32_t next() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
};

UniqueFd some_fd() {
  static int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int fd = ::fcntl(dev_null, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) fail("cannot dup a descriptor: are frames or the parser leaking them?");
  return UniqueFd(fd);
}

struct State {
  FrameParser parser;
  ParserLimits limits;
  std::size_t fed = 0;       // bytes given to the parser
  std::size_t returned = 0;  // header + payload bytes of the frames it returned
  std::size_t fds_added = 0;
  std::size_t fds_returned = 0;
  bool failed = false;

  explicit State(ParserLimits l) : parser(l), limits(l) {}

  // Drains next() until kNeedMore / kError. Returns the frames taken.
  int drain() {
    int frames = 0;
    for (;;) {
      Frame f;
      auto status = parser.next(f);
      if (status == FrameParser::Status::kNeedMore) {
        if (failed) fail("kNeedMore after kError");
        return frames;
      }
      if (status == FrameParser::Status::kError) {
        if (parser.error().empty()) fail("kError without a message");
        failed = true;
        Frame again;
        if (parser.next(again) != FrameParser::Status::kError) fail("kError is not sticky");
        return frames;
      }
      if (failed) fail("a frame after kError");
      if (f.payload.size() > limits.max_payload) fail("a frame over max_payload");
      if (f.fds.size() > limits.max_fds) fail("a frame with more descriptors than max_fds");
      for (const auto& fd : f.fds)
        if (!fd.valid()) fail("a frame with an invalid descriptor");
      returned += kFrameHeaderSize + f.payload.size();
      fds_returned += f.fds.size();
      ++frames;
    }
  }

  void check_accounting() const {
    if (failed) return;
    if (returned + parser.buffered_bytes() != fed) fail("bytes fed != bytes returned + buffered");
    if (fds_returned + parser.pending_fds() > fds_added) fail("more descriptors than were added");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  ParserLimits limits;
  switch (data[0] & 3) {
    case 0:
      limits.max_payload = 64;
      limits.max_fds = 2;
      break;
    case 1:
      limits.max_payload = 4096;
      limits.max_fds = 4;
      break;
    case 2: limits.max_payload = std::size_t{1} << 20; break;  // large frames allowed
    default: break;                                            // the defaults
  }
  Rng rng{(std::uint32_t{data[1]} | std::uint32_t{data[2]} << 8 | std::uint32_t{data[3]} << 16 |
           std::uint32_t{data[4]} << 24) |
          1u};
  std::span<const std::uint8_t> stream(data + 5, size - 5);

  State s(limits);
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::uint32_t r = rng.next();
    std::size_t piece = (r & 7) == 0 ? stream.size() - pos : (r >> 8) % 64 + 1;
    piece = std::min(piece, stream.size() - pos);
    // Descriptors sometimes arrive with a piece (as with a recvmsg).
    if ((data[0] & 4) && (r & 0x30) == 0x30) {
      std::vector<UniqueFd> fds;
      std::size_t n = (r >> 16) % 3 + 1;
      for (std::size_t i = 0; i < n; ++i) fds.push_back(some_fd());
      s.parser.add_fds(fds);
      if (!fds.empty()) fail("add_fds left descriptors behind");
      s.fds_added += n;
    }
    if (r & 0x40) {
      s.parser.feed(stream.subspan(pos, piece));
      s.fed += piece;
      pos += piece;
    } else {
      // The channel's path: read into prepare()'s span, then commit().
      std::size_t left = piece;
      int empty_spans = 0;
      while (left > 0) {
        auto dst = s.parser.prepare((r >> 20) % 4096 + 1);
        if (dst.empty()) {
          // A complete large payload: next() must take it before more fits.
          if (++empty_spans > 1 || s.drain() == 0) {
            if (s.failed) break;
            fail("prepare() gave no room and next() took no frame");
          }
          continue;
        }
        std::size_t n = std::min(left, dst.size());
        std::memcpy(dst.data(), stream.data() + pos, n);
        s.parser.commit(n);
        s.fed += n;
        pos += n;
        left -= n;
        empty_spans = 0;
      }
      if (s.failed) break;
    }
    s.drain();
    s.check_accounting();
    if (s.failed) break;
  }
  s.drain();
  s.check_accounting();
  return 0;
}
