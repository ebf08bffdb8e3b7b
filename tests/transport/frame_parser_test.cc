// FrameParser: the pure byte-stream -> frames parser. Every split of the
// input, large frames in pieces, descriptors claimed in order, every header
// error, and the memory a lying header may cost.
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/eventfd.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "transport/frame.h"
#include "transport/frame_parser.h"

namespace valence::transport {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Status = FrameParser::Status;

// Deterministic payload bytes, different for each seed.
Bytes pattern(std::uint32_t seed, std::size_t size) {
  Bytes out(size);
  std::uint32_t x = seed * 2654435761u + 1u;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

Bytes header(std::uint32_t size, std::uint8_t kind, std::uint16_t num_fds = 0) {
  Bytes h(kFrameHeaderSize);
  write_frame_header(h.data(), size, kind, num_fds);
  return h;
}

void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

Bytes frame_bytes(std::uint8_t kind, const Bytes& payload, std::uint16_t num_fds = 0) {
  Bytes out = header(static_cast<std::uint32_t>(payload.size()), kind, num_fds);
  append(out, payload);
  return out;
}

struct Expected {
  std::uint8_t kind;
  Bytes payload;
};

// Drains every complete frame.
std::vector<Frame> drain(FrameParser& parser) {
  std::vector<Frame> out;
  for (;;) {
    Frame f;
    Status s = parser.next(f);
    if (s != Status::kFrame) {
      EXPECT_EQ(s, Status::kNeedMore) << parser.error();
      return out;
    }
    out.push_back(std::move(f));
  }
}

bool same_payload(const Frame& f, const Bytes& want) {
  return f.payload.size() == want.size() &&
         (want.empty() || std::memcmp(f.payload.data(), want.data(), want.size()) == 0);
}

void expect_frames(const std::vector<Frame>& got, const std::vector<Expected>& want,
                   const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kind, want[i].kind) << where << " frame " << i;
    EXPECT_TRUE(same_payload(got[i], want[i].payload))
        << where << " frame " << i << ": payload of " << got[i].payload.size() << " bytes, want "
        << want[i].payload.size();
  }
}

std::vector<Expected> small_frames() {
  std::vector<Expected> frames;
  const std::size_t sizes[] = {0, 1, 7, 8, 9, 100, 1000};
  std::uint8_t kind = 1;
  for (std::size_t size : sizes) {
    frames.push_back({kind, pattern(kind, size)});
    ++kind;
  }
  return frames;
}

Bytes stream_of(const std::vector<Expected>& frames) {
  Bytes out;
  for (const auto& f : frames) append(out, frame_bytes(f.kind, f.payload));
  return out;
}

UniqueFd make_fd() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  return fd;
}

TEST(FrameParser, OneFrame) {
  FrameParser parser;
  Bytes payload = pattern(1, 50);
  parser.feed(frame_bytes(5, payload));
  EXPECT_EQ(parser.buffered_bytes(), kFrameHeaderSize + 50);
  Frame f;
  ASSERT_EQ(parser.next(f), Status::kFrame);
  EXPECT_EQ(f.kind, 5);
  EXPECT_TRUE(same_payload(f, payload));
  EXPECT_TRUE(f.fds.empty());
  EXPECT_EQ(parser.next(f), Status::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.error(), "");
}

TEST(FrameParser, SplitAtEveryByteBoundary) {
  auto want = small_frames();
  Bytes stream = stream_of(want);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameParser parser;
    parser.feed(std::span(stream).first(cut));
    auto got = drain(parser);
    parser.feed(std::span(stream).subspan(cut));
    auto rest = drain(parser);
    for (auto& f : rest) got.push_back(std::move(f));
    expect_frames(got, want, "cut at " + std::to_string(cut));
    EXPECT_EQ(parser.buffered_bytes(), 0u);
  }
}

TEST(FrameParser, TwoCutsAtEveryPairOfBoundariesInTheHeaderRegion) {
  auto want = small_frames();
  Bytes stream = stream_of(want);
  // Every pair of cuts within the first 40 bytes (headers of several frames).
  for (std::size_t a = 0; a < 40; ++a) {
    for (std::size_t b = a; b < 40; ++b) {
      FrameParser parser;
      std::vector<Frame> got;
      for (auto piece : {std::span(stream).first(a), std::span(stream).subspan(a, b - a),
                         std::span(stream).subspan(b)}) {
        parser.feed(piece);
        for (auto& f : drain(parser)) got.push_back(std::move(f));
      }
      expect_frames(got, want, "cuts at " + std::to_string(a) + "," + std::to_string(b));
    }
  }
}

TEST(FrameParser, OneByteAtATime) {
  auto want = small_frames();
  Bytes stream = stream_of(want);
  FrameParser parser;
  std::vector<Frame> got;
  for (std::uint8_t byte : stream) {
    parser.feed(std::span(&byte, 1));
    for (auto& f : drain(parser)) got.push_back(std::move(f));
  }
  expect_frames(got, want, "byte by byte");
}

TEST(FrameParser, ManyFramesInOneFeed) {
  std::vector<Expected> want;
  for (std::uint32_t i = 0; i < 20000; ++i)
    want.push_back({static_cast<std::uint8_t>(i % 8 + 1), pattern(i, i % 97)});
  Bytes stream = stream_of(want);
  FrameParser parser;
  parser.feed(stream);
  EXPECT_EQ(parser.buffered_bytes(), stream.size());
  expect_frames(drain(parser), want, "one feed");
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

// Feeds `stream` in random pieces through feed() or, alternately, the
// prepare()/commit() path the channel uses.
std::vector<Frame> feed_in_pieces(FrameParser& parser, const Bytes& stream, std::uint32_t seed,
                                  std::size_t max_piece) {
  std::mt19937 rng(seed);
  std::vector<Frame> got;
  std::size_t pos = 0;
  bool use_prepare = false;
  while (pos < stream.size()) {
    std::size_t n = std::min<std::size_t>(stream.size() - pos, rng() % max_piece + 1);
    if (use_prepare) {
      auto dst = parser.prepare();
      EXPECT_FALSE(dst.empty());
      n = std::min(n, dst.size());
      std::memcpy(dst.data(), stream.data() + pos, n);
      parser.commit(n);
    } else {
      parser.feed(std::span(stream).subspan(pos, n));
    }
    pos += n;
    use_prepare = !use_prepare;
    for (auto& f : drain(parser)) got.push_back(std::move(f));
  }
  return got;
}

TEST(FrameParser, LargeFramesArriveInPieces) {
  std::vector<Expected> want;
  want.push_back({1, pattern(1, 10)});
  want.push_back({2, pattern(2, 256 * 1024)});      // the largest staged payload
  want.push_back({3, pattern(3, 256 * 1024 + 1)});  // the smallest large one
  want.push_back({4, pattern(4, 3)});
  want.push_back({5, pattern(5, 5 * 1024 * 1024 + 17)});
  want.push_back({6, pattern(6, 700 * 1024)});  // large right after large
  want.push_back({7, {}});
  Bytes stream = stream_of(want);
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    for (std::size_t max_piece : {std::size_t{1000}, std::size_t{70000}, std::size_t{3} << 20}) {
      FrameParser parser;
      auto got = feed_in_pieces(parser, stream, seed, max_piece);
      expect_frames(got, want,
                    "seed " + std::to_string(seed) + " pieces <= " + std::to_string(max_piece));
      EXPECT_EQ(parser.buffered_bytes(), 0u);
    }
  }
}

TEST(FrameParser, LargeFrameAndFollowersInOneFeed) {
  std::vector<Expected> want;
  want.push_back({1, pattern(1, 2 * 1024 * 1024)});
  for (std::uint8_t k = 2; k < 10; ++k) want.push_back({k, pattern(k, k * 11u)});
  want.push_back({10, pattern(10, 300 * 1024)});
  want.push_back({11, pattern(11, 5)});
  FrameParser parser;
  parser.feed(stream_of(want));
  expect_frames(drain(parser), want, "one feed");
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(FrameParser, FeedWhileACompleteLargeFrameIsNotTakenYet) {
  Bytes big = pattern(1, 400 * 1024);
  Bytes small1 = pattern(2, 10), small2 = pattern(3, 20);
  Bytes stream = frame_bytes(1, big);
  FrameParser parser;
  parser.feed(std::span(stream).first(1000));
  Frame f;
  ASSERT_EQ(parser.next(f), Status::kNeedMore);
  parser.feed(std::span(stream).subspan(1000));  // completes it
  parser.feed(frame_bytes(2, small1));           // before next() takes it
  parser.feed(frame_bytes(3, small2));
  expect_frames(drain(parser), {{1, big}, {2, small1}, {3, small2}}, "late take");
}

TEST(FrameParser, DescriptorsAreClaimedInOrder) {
  FrameParser parser;
  std::vector<UniqueFd> fds;
  std::vector<int> numbers;
  for (int i = 0; i < 6; ++i) {
    fds.push_back(make_fd());
    numbers.push_back(fds.back().get());
  }
  // Frames declare 2, 0, 3, 1 descriptors; all six arrive at once.
  Bytes stream;
  append(stream, frame_bytes(1, pattern(1, 5), 2));
  append(stream, frame_bytes(2, pattern(2, 5), 0));
  append(stream, frame_bytes(3, pattern(3, 5), 3));
  append(stream, frame_bytes(4, pattern(4, 5), 1));
  parser.add_fds(fds);
  EXPECT_TRUE(fds.empty());
  EXPECT_EQ(parser.pending_fds(), 6u);
  parser.feed(stream);
  auto got = drain(parser);
  ASSERT_EQ(got.size(), 4u);
  ASSERT_EQ(got[0].fds.size(), 2u);
  EXPECT_EQ(got[0].fds[0].get(), numbers[0]);
  EXPECT_EQ(got[0].fds[1].get(), numbers[1]);
  EXPECT_TRUE(got[1].fds.empty());
  ASSERT_EQ(got[2].fds.size(), 3u);
  EXPECT_EQ(got[2].fds[0].get(), numbers[2]);
  EXPECT_EQ(got[2].fds[2].get(), numbers[4]);
  ASSERT_EQ(got[3].fds.size(), 1u);
  EXPECT_EQ(got[3].fds[0].get(), numbers[5]);
  EXPECT_EQ(parser.pending_fds(), 0u);
}

TEST(FrameParser, DescriptorsArriveWithTheirFramesFirstByte) {
  FrameParser parser;
  Bytes f1 = frame_bytes(1, pattern(1, 300 * 1024), 1);  // a large one
  Bytes f2 = frame_bytes(2, pattern(2, 10), 2);
  std::vector<UniqueFd> fds;
  fds.push_back(make_fd());
  int first = fds.back().get();
  parser.add_fds(fds);
  parser.feed(std::span(f1).first(100));
  Frame f;
  ASSERT_EQ(parser.next(f), Status::kNeedMore);
  EXPECT_EQ(parser.pending_fds(), 0u);  // claimed by the large frame being collected
  parser.feed(std::span(f1).subspan(100));
  fds.push_back(make_fd());
  fds.push_back(make_fd());
  int second = fds.front().get();
  parser.add_fds(fds);
  parser.feed(f2);
  auto got = drain(parser);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got[0].fds.size(), 1u);
  EXPECT_EQ(got[0].fds[0].get(), first);
  ASSERT_EQ(got[1].fds.size(), 2u);
  EXPECT_EQ(got[1].fds[0].get(), second);
}

Status first_error(FrameParser& parser, const Bytes& stream) {
  parser.feed(stream);
  Frame f;
  Status s;
  while ((s = parser.next(f)) == Status::kFrame) {
  }
  return s;
}

TEST(FrameParser, WrongHeaderVersion) {
  FrameParser parser;
  Bytes stream = frame_bytes(1, pattern(1, 4));
  Bytes bad = frame_bytes(2, pattern(2, 4));
  bad[5] = 2;
  append(stream, bad);
  Frame f;
  parser.feed(stream);
  ASSERT_EQ(parser.next(f), Status::kFrame);  // the good frame before it
  ASSERT_EQ(parser.next(f), Status::kError);
  EXPECT_EQ(parser.error(),
            "frame header version 2 (expected 1): not a valence peer, or corrupt data");
  // Stays in error, whatever comes next.
  parser.feed(frame_bytes(3, pattern(3, 4)));
  EXPECT_EQ(parser.next(f), Status::kError);
}

TEST(FrameParser, Garbage) {
  FrameParser parser;
  std::string text = "GARBAGE! not a frame at all";
  Bytes stream(text.begin(), text.end());
  EXPECT_EQ(first_error(parser, stream), Status::kError);
  EXPECT_EQ(parser.error(),
            "frame header version 71 (expected 1): not a valence peer, or corrupt data");
}

TEST(FrameParser, SizeOverTheLimit) {
  ParserLimits limits;
  limits.max_payload = 1000;
  {
    FrameParser parser(limits);
    EXPECT_EQ(first_error(parser, frame_bytes(1, pattern(1, 1000))), Status::kNeedMore)
        << "exactly at the limit is fine";
  }
  FrameParser parser(limits);
  EXPECT_EQ(first_error(parser, header(1001, 1)), Status::kError);  // fails on the header alone
  EXPECT_EQ(parser.error(), "frame of 1001 bytes exceeds the limit of 1000");
  FrameParser huge;  // the default limit, 1 GiB
  EXPECT_EQ(first_error(huge, header(0xFFFFFFFFu, 1)), Status::kError);
  EXPECT_EQ(huge.error(), "frame of 4294967295 bytes exceeds the limit of 1073741824");
}

TEST(FrameParser, TooManyDescriptorsDeclared) {
  ParserLimits limits;
  limits.max_fds = 4;
  FrameParser parser(limits);
  EXPECT_EQ(first_error(parser, frame_bytes(1, pattern(1, 3), 5)), Status::kError);
  EXPECT_EQ(parser.error(), "frame declares 5 descriptors (limit 4)");
  FrameParser defaults;
  EXPECT_EQ(first_error(defaults, header(0, 1, 65535)), Status::kError);
  EXPECT_EQ(defaults.error(), "frame declares 65535 descriptors (limit 64)");
}

TEST(FrameParser, DeclaredDescriptorsMissing) {
  FrameParser parser;
  std::vector<UniqueFd> fds;
  fds.push_back(make_fd());
  parser.add_fds(fds);
  EXPECT_EQ(first_error(parser, frame_bytes(1, pattern(1, 3), 2)), Status::kError);
  EXPECT_EQ(parser.error(), "frame declares 2 descriptors but 1 arrived");
  FrameParser none;
  EXPECT_EQ(first_error(none, frame_bytes(1, pattern(1, 300 * 1024), 1)), Status::kError);
  EXPECT_EQ(none.error(), "frame declares 1 descriptors but 0 arrived");
}

TEST(FrameParser, UnclaimedDescriptorsPileUp) {
  ParserLimits limits;
  limits.max_fds = 2;
  FrameParser parser(limits);
  std::vector<UniqueFd> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(make_fd());
  parser.add_fds(fds);
  Frame f;
  EXPECT_EQ(parser.next(f), Status::kError);
  EXPECT_EQ(parser.error(), "5 descriptors arrived that no frame declares");
}

// Bytes in use by malloc, where that can be measured (not under ASan, whose
// allocator is its own).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VALENCE_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define VALENCE_TEST_ASAN 1
#endif

std::size_t malloc_in_use() {
#ifdef VALENCE_TEST_ASAN
  return 0;
#else
  struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
}

TEST(FrameParser, LyingSizeCostsNoMoreThanTwiceWhatArrived) {
  // A header claiming ~1 GiB (under the limit), then bytes that never complete it.
  const std::uint32_t claimed = (1u << 30) - 1;
  for (bool use_prepare : {false, true}) {
    std::size_t base = malloc_in_use();
    FrameParser parser;
    parser.feed(header(claimed, 3));
    Bytes chunk = pattern(7, 64 * 1024);
    std::size_t arrived = kFrameHeaderSize;
    std::size_t peak = 0;
    for (int i = 0; i < 64; ++i) {  // 4 MiB in all
      if (use_prepare) {
        std::size_t left = chunk.size();
        while (left > 0) {
          auto dst = parser.prepare();
          std::size_t n = std::min(left, dst.size());
          ASSERT_GT(n, 0u);
          std::memcpy(dst.data(), chunk.data() + (chunk.size() - left), n);
          parser.commit(n);
          left -= n;
        }
      } else {
        parser.feed(chunk);
      }
      arrived += chunk.size();
      Frame f;
      ASSERT_EQ(parser.next(f), Status::kNeedMore);
      EXPECT_EQ(parser.buffered_bytes(), arrived);
      // What a further read may write into: never past twice what came.
      auto room = parser.prepare(0);
      EXPECT_LE(arrived - kFrameHeaderSize + room.size(), 2 * arrived + 256 * 1024)
          << "after " << arrived << " bytes";
      peak = std::max(peak, malloc_in_use() - std::min(base, malloc_in_use()));
    }
    if (malloc_in_use() != 0) {
      EXPECT_LE(peak, 2 * arrived + (512u << 10))
          << "bytes allocated for " << arrived << " bytes received";
    }
  }
}

TEST(FrameParser, ALargePayloadGrowsGeometricallyNotOnEveryRead) {
  // The channel reads a large frame through prepare()/commit(), about one
  // socket buffer (~200 KiB) at a time. The payload buffer may double as it
  // fills, but must not be reallocated (and copied whole) on every read:
  // that makes a 300 MiB frame cost ~750 copies of itself.
  constexpr std::size_t kSize = std::size_t{32} << 20;
  constexpr std::size_t kRead = 212992;  // a Linux AF_UNIX socket's default buffer
  FrameParser parser;
  parser.feed(header(static_cast<std::uint32_t>(kSize), 1));
  Frame f;
  ASSERT_EQ(parser.next(f), Status::kNeedMore);
  std::size_t got = 0;
  int moves = 0, reads = 0;
  const std::uint8_t* base = nullptr;
  while (got < kSize) {
    auto dst = parser.prepare();
    ASSERT_FALSE(dst.empty());
    const std::uint8_t* now = dst.data() - got;  // the payload buffer's start
    if (now != base) ++moves;
    base = now;
    std::size_t n = std::min({dst.size(), kRead, kSize - got});
    std::memset(dst.data(), 0x11, n);
    parser.commit(n);
    got += n;
    ++reads;
  }
  ASSERT_EQ(parser.next(f), Status::kFrame);
  EXPECT_EQ(f.payload.size(), kSize);
  // 256 KiB doubling to 32 MiB is 8 moves; allow slack, not one per read.
  EXPECT_LE(moves, 12) << "the payload buffer moved " << moves << " times in " << reads << " reads";
}

TEST(FrameParser, StagingDoesNotGrowWithManySmallFeeds) {
  // A long stream of small frames fed piece by piece keeps the buffered bytes
  // at what is not yet parsed.
  FrameParser parser;
  Bytes one = frame_bytes(1, pattern(1, 40));
  std::size_t frames = 0;
  for (int i = 0; i < 100000; ++i) {
    parser.feed(one);
    frames += drain(parser).size();
    ASSERT_EQ(parser.buffered_bytes(), 0u);
  }
  EXPECT_EQ(frames, 100000u);
}

}  // namespace
}  // namespace valence::transport
