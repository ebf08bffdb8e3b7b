// How the transport's FrameParser collects one large frame when the bytes
// arrive in chunks of a given size, the way recvmsg hands them over (an
// AF_UNIX stream socket delivers at most about its buffer, 208 KiB by
// default, per read). Counts the payload buffers the parser allocates and
// the bytes it copies from one to the next, and the page faults its fresh
// buffers take, and times it against one memcpy.
//
//   frame_parser_growth [SIZE_MIB]      (default 8)
//
// Prints one JSON object. Not a library test: a diagnostic for
// docs/benchmarks.md (bench/ipc/run_ipc_bench.sh runs it).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"
#include "transport/frame_parser.h"

namespace {

using bench::Clock;
using valence::transport::Frame;
using valence::transport::FrameParser;
using valence::transport::kFrameHeaderSize;

struct Run {
  std::size_t reads = 0;
  std::size_t buffers = 0;   // distinct buffers the reads went into
  std::size_t recopied = 0;  // bytes moved when the parser switched buffers
  double best_us = 0;
  long page_faults = 0;
};

Run collect(const std::vector<std::uint8_t>& wire, std::size_t chunk) {
  Run out;
  out.best_us = 1e300;
  for (int rep = 0; rep < 10; ++rep) {
    FrameParser parser;
    Run r;
    std::size_t off = 0;
    const std::uint8_t* expected = nullptr;  // where the next read goes if the buffer stays
    Frame frame;
    long f0 = bench::minor_faults();
    auto t0 = Clock::now();
    for (;;) {
      auto span = parser.prepare();
      if (span.data() != expected) {
        // A new buffer: the payload bytes received so far were copied into it.
        ++r.buffers;
        if (expected) r.recopied += off > kFrameHeaderSize ? off - kFrameHeaderSize : 0;
      }
      std::size_t n = std::min({chunk, span.size(), wire.size() - off});
      std::memcpy(span.data(), wire.data() + off, n);
      parser.commit(n);
      off += n;
      ++r.reads;
      expected = span.data() + n;
      auto status = parser.next(frame);
      if (status == FrameParser::Status::kFrame) break;
      if (status == FrameParser::Status::kError) {
        std::fprintf(stderr, "frame_parser_growth: %s\n", parser.error().c_str());
        std::exit(1);
      }
    }
    double us = bench::us_between(t0, Clock::now());
    if (frame.payload.size() + kFrameHeaderSize != wire.size()) {
      std::fprintf(stderr, "frame_parser_growth: wrong frame size\n");
      std::exit(1);
    }
    r.best_us = us;
    r.page_faults = bench::minor_faults() - f0;
    if (us < out.best_us) out = r;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = argc > 1 ? static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10)) : 8;
  std::size_t size = mib << 20;
  std::vector<std::uint8_t> wire(size + kFrameHeaderSize, 0x5a);
  valence::transport::write_frame_header(wire.data(), static_cast<std::uint32_t>(size), 3, 0);

  bench::Json out;
  out.str("case", "frame_parser_growth").integer("payload_bytes", static_cast<long long>(size));
  for (std::size_t chunk : {std::size_t{64} << 10, std::size_t{208} << 10, std::size_t{1} << 20}) {
    Run r = collect(wire, chunk);
    std::string p = "chunk_" + std::to_string(chunk >> 10) + "k_";
    out.integer(p + "reads", static_cast<long long>(r.reads))
        .integer(p + "buffers", static_cast<long long>(r.buffers))
        .num(p + "recopied_mib", static_cast<double>(r.recopied) / (1 << 20))
        .num(p + "us", r.best_us)
        .integer(p + "page_faults", r.page_faults);
  }
  std::vector<std::uint8_t> copy(size);
  double best = 1e300;
  for (int rep = 0; rep < 10; ++rep) {
    auto t0 = Clock::now();
    std::memcpy(copy.data(), wire.data() + kFrameHeaderSize, size);
    best = std::min(best, bench::us_between(t0, Clock::now()));
  }
  out.num("one_memcpy_us", best).integer("check", copy[size / 2]).boolean("ok", true);
  std::printf("%s\n", out.text().c_str());
  return 0;
}
