// Channel over real socketpairs and the epoll loop, in one process: many
// frames in order, a 300 MiB frame both ways, descriptor passing and
// closing, and the slow-reader policy. (channel_edge_test.cc: limits, EOF,
// the blocking calls, and delegates that destroy the channel.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "channel_test_util.h"

namespace valence::transport::test {
namespace {

TEST_F(ChannelTest, ManyFramesInOrderBothWays) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  Channel a(*loop, std::move(sa), ra), b(*loop, std::move(sb), rb);
  a.start();
  b.start();
  constexpr std::uint32_t kFrames = 20000;
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(a.send(static_cast<std::uint8_t>(i % 200 + 1), make_payload(i, i % 300)));
    ASSERT_TRUE(b.send(static_cast<std::uint8_t>(i % 100 + 1), make_payload(i + 1, i % 500)));
  }
  ASSERT_TRUE(
      run_until(*loop, [&] { return ra.frames.size() == kFrames && rb.frames.size() == kFrames; }))
      << ra.frames.size() << " / " << rb.frames.size();
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(rb.frames[i].kind, i % 200 + 1) << i;
    ASSERT_TRUE(payload_matches(rb.frames[i].payload, i, i % 300)) << i;
    ASSERT_EQ(ra.frames[i].kind, i % 100 + 1) << i;
    ASSERT_TRUE(payload_matches(ra.frames[i].payload, i + 1, i % 500)) << i;
  }
  EXPECT_FALSE(ra.error);
  EXPECT_FALSE(rb.error);
  EXPECT_EQ(a.queued_bytes(), 0u);
}

void fill_words(Buffer& b, std::uint64_t seed) {
  std::uint64_t x = seed;
  std::size_t words = b.size() / 8;
  for (std::size_t i = 0; i < words; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::memcpy(b.data() + i * 8, &x, 8);
  }
}

// Does not block the loop, shown without a clock: a timer due at once is
// re-armed every time it fires, so it fires on every turn of the loop.
// Counted against the transfer's progress, it must fire many times while
// each direction is still in flight. The count needed does not depend on
// the machine's speed: a socket takes at most a few hundred KiB before its
// reader drains it (and a reader takes at most read_budget_bytes, 4 MiB, a
// turn), so 300 MiB take at least 75 turns each way however fast they go;
// a channel that moved a frame in one blocking call would allow 0 or 1.
TEST_F(ChannelTest, A300MiBFrameBothWaysWithoutBlockingTheLoop) {
  constexpr std::size_t kSize = std::size_t{300} << 20;
  constexpr int kTurnsEachWay = 32;  // well under the 75 turns a direction takes at least
  auto [sa, sb] = socket_pair();
  const int b_fd = sb.get();
  Recorder ra, rb;
  Channel a(*loop, std::move(sa), ra), b(*loop, std::move(sb), rb);
  a.start();
  b.start();
  // b echoes the frame back as it came (the buffer moves, no copy).
  rb.frame_hook = [&](Frame& f) { ASSERT_TRUE(b.send(f.kind, std::move(f.payload))); };

  int ticks_there = 0;  // while a -> b was in flight (b has not got the frame)
  int ticks_back = 0;   // while b -> a was in flight (b has it, a has not)
  Timer timer;
  std::function<void()> tick = [&] {
    if (rb.frames.empty()) {
      ++ticks_there;
    } else if (ra.frames.empty()) {
      ++ticks_back;
    }
    timer = loop->add_timer(0ms, [&] { tick(); });
  };
  {
    Buffer payload(kSize);
    fill_words(payload, 42);
    ASSERT_TRUE(a.send(9, std::move(payload)));
    // send() only queued: not one byte reached the socket yet.
    int unread = -1;
    ASSERT_EQ(::ioctl(b_fd, FIONREAD, &unread), 0);
    EXPECT_EQ(unread, 0) << "send() wrote before the loop ran";
    EXPECT_GT(a.queued_bytes(), 0u);
  }
  tick();
  ASSERT_TRUE(run_until(*loop, [&] { return ra.frames.size() == 1 || ra.error || rb.error; }))
      << "600 MiB did not move";
  timer.reset();
  ASSERT_FALSE(ra.error) << ra.detail;
  ASSERT_FALSE(rb.error) << rb.detail;
  ASSERT_EQ(rb.frames.size(), 1u);
  ASSERT_EQ(ra.frames.size(), 1u);
  EXPECT_EQ(ra.frames[0].kind, 9);
  ASSERT_EQ(ra.frames[0].payload.size(), kSize);
  {
    Buffer want(kSize);
    fill_words(want, 42);
    EXPECT_EQ(std::memcmp(want.data(), ra.frames[0].payload.data(), kSize), 0);
  }
  RecordProperty("ticks_there", ticks_there);
  RecordProperty("ticks_back", ticks_back);
  EXPECT_GE(ticks_there, kTurnsEachWay) << "the loop ran other work only " << ticks_there
                                        << " times while a's frame was on its way to b";
  EXPECT_GE(ticks_back, kTurnsEachWay) << "the loop ran other work only " << ticks_back
                                       << " times while b's echo was on its way to a";
}

TEST_F(ChannelTest, PassesDescriptorsThatWorkOnTheOtherSide) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  Channel a(*loop, std::move(sa), ra), b(*loop, std::move(sb), rb);
  a.start();
  b.start();
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd pipe_read(p[0]);
  UniqueFd event(::eventfd(0, EFD_CLOEXEC));
  int event_number = event.get();
  std::vector<UniqueFd> fds;
  fds.emplace_back(p[1]);
  fds.emplace_back(::dup(event.get()));
  ASSERT_TRUE(a.send(3, make_payload(1, 10), std::move(fds)));
  ASSERT_TRUE(a.send(4, make_payload(2, 10)));
  ASSERT_TRUE(run_until(*loop, [&] { return rb.frames.size() == 2; }));
  ASSERT_EQ(rb.frames[0].fds.size(), 2u);
  EXPECT_TRUE(rb.frames[1].fds.empty());
  for (auto& fd : rb.frames[0].fds) {
    EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC)
        << "received descriptors are close-on-exec";
    EXPECT_NE(fd.get(), event_number);
  }
  // The pipe's write end works: what is written comes out of our read end.
  ASSERT_EQ(::write(rb.frames[0].fds[0].get(), "ping", 4), 4);
  char buf[8] = {};
  ASSERT_EQ(::read(pipe_read.get(), buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "ping");
  // The eventfd is the same object.
  std::uint64_t one = 1, got = 0;
  ASSERT_EQ(::write(rb.frames[0].fds[1].get(), &one, 8), 8);
  ASSERT_EQ(::read(event.get(), &got, 8), 8);
  EXPECT_EQ(got, 1u);
  // Dropping the frame closes the received write end: the pipe reports EOF.
  rb.frames.clear();
  EXPECT_EQ(::read(pipe_read.get(), buf, sizeof buf), 0);
}

TEST_F(ChannelTest, EveryReceivedDescriptorIsClosedWithItsFrame) {
  int before = count_open_fds();
  {
    auto [sa, sb] = socket_pair();
    Recorder ra, rb;
    Channel a(*loop, std::move(sa), ra), b(*loop, std::move(sb), rb);
    a.start();
    b.start();
    std::size_t received = 0;
    rb.frame_hook = [&](Frame& f) {
      received += f.fds.size();
      rb.frames.clear();  // dropped at once
    };
    for (int i = 0; i < 50; ++i) {
      std::vector<UniqueFd> fds;
      for (int k = 0; k < 3; ++k) fds.emplace_back(::eventfd(0, EFD_CLOEXEC));
      ASSERT_TRUE(a.send(1, make_payload(static_cast<std::uint32_t>(i), 100), std::move(fds)));
    }
    ASSERT_TRUE(run_until(*loop, [&] { return received == 150; })) << received;
    EXPECT_EQ(count_open_fds(), before + 2) << "only the socket pair is open";
  }
  EXPECT_EQ(count_open_fds(), before);
}

TEST_F(ChannelTest, DescriptorsOfAnIncompleteFrameAreClosedWithTheChannel) {
  int before = count_open_fds();
  {
    auto [sa, sb] = socket_pair();
    Recorder rb;
    auto b = std::make_unique<Channel>(*loop, std::move(sb), rb);
    b->start();
    // A frame declaring 2 descriptors, sent with half its payload.
    auto bytes = raw_frame(1, 100, 50);
    write_frame_header(bytes.data(), 100, 1, 2);
    UniqueFd e1(::eventfd(0, EFD_CLOEXEC)), e2(::eventfd(0, EFD_CLOEXEC));
    int fds[2] = {e1.get(), e2.get()};
    iovec iov{bytes.data(), bytes.size()};
    auto sent = send_some(sa.get(), std::span<const iovec>(&iov, 1), fds);
    ASSERT_TRUE(sent.has_value());
    ASSERT_EQ(sent->bytes, bytes.size());
    e1.reset();
    e2.reset();
    // Wait until b has read the bytes (and so holds the descriptors).
    ASSERT_TRUE(run_until(*loop, [&] { return count_open_fds() == before + 4; }))
        << count_open_fds() - before;
    b.reset();
    EXPECT_TRUE(rb.frames.empty());
    EXPECT_EQ(count_open_fds(), before + 1);  // sa only
  }
  EXPECT_EQ(count_open_fds(), before);
}

TEST_F(ChannelTest, ASlowReaderMakesSendsFailWithOverloadedAndTheChannelStaysUp) {
  auto [sa, sb] = socket_pair();  // sb is not read until the end
  Recorder ra, rb;
  ChannelOptions options;
  options.max_queued_bytes = std::size_t{1} << 20;
  Channel a(*loop, std::move(sa), ra, options);
  a.start();
  constexpr std::size_t kFrame = 64 * 1024;
  std::size_t accepted = 0, max_queued = 0;
  int sends = 0;
  Result<void> refused;
  for (; sends < 10000; ++sends) {
    refused = a.send(1, make_payload(1, kFrame));
    if (!refused) break;
    accepted += kFrame;
    max_queued = std::max(max_queued, a.queued_bytes());
    loop->run_once(0ms);
  }
  ASSERT_LT(sends, 10000) << "send() never failed";
  EXPECT_EQ(refused.error().code, ErrorCode::kOverloaded);
  EXPECT_EQ(refused.error().message.rfind("the peer is not reading: ", 0), 0u)
      << refused.error().message;
  EXPECT_FALSE(ra.error.has_value()) << "a refused send does not fail the channel";
  EXPECT_TRUE(a.is_open());
  // Bounded: the queue limit plus the frame being written, plus what the
  // kernel buffers.
  EXPECT_LE(max_queued, options.max_queued_bytes + 2 * (kFrame + kFrameHeaderSize));
  EXPECT_LE(accepted, options.max_queued_bytes + (std::size_t{16} << 20));
  // Once the peer reads, everything accepted arrives and sends work again.
  Channel b(*loop, std::move(sb), rb);
  b.start();
  ASSERT_TRUE(
      run_until(*loop, [&] { return rb.frames.size() == static_cast<std::size_t>(sends); }));
  EXPECT_TRUE(a.send(1, make_payload(2, 10)));
  ASSERT_TRUE(
      run_until(*loop, [&] { return rb.frames.size() == static_cast<std::size_t>(sends) + 1; }));
  EXPECT_FALSE(ra.error.has_value());
}

TEST_F(ChannelTest, TheFrameBeingWrittenDoesNotCountAgainstTheQueueLimit) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  ChannelOptions options;
  options.max_queued_bytes = std::size_t{4} << 20;
  Channel a(*loop, std::move(sa), ra, options);
  a.start();
  // A frame as large as the limit, begun (the kernel took part of it)...
  ASSERT_TRUE(a.send(1, make_payload(1, std::size_t{4} << 20)));
  loop->run_once(0ms);
  ASSERT_GT(a.queued_bytes(), 0u);
  ASSERT_LT(a.queued_bytes(), (std::size_t{4} << 20) + kFrameHeaderSize) << "nothing was written";
  // ...leaves room for another as large, but not for a third.
  EXPECT_TRUE(a.send(2, make_payload(2, std::size_t{4} << 20)));
  auto third = a.send(3, make_payload(3, 1));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kOverloaded);
  Channel b(*loop, std::move(sb), rb);
  b.start();
  ASSERT_TRUE(run_until(*loop, [&] { return rb.frames.size() == 2; }));
  EXPECT_TRUE(payload_matches(rb.frames[1].payload, 2, std::size_t{4} << 20));
  EXPECT_FALSE(ra.error.has_value());
}

TEST_F(ChannelTest, OneFrameLargerThanTheQueueLimitIsAcceptedWhenTheQueueIsEmpty) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  ChannelOptions options;
  options.max_queued_bytes = std::size_t{1} << 20;
  Channel a(*loop, std::move(sa), ra, options), b(*loop, std::move(sb), rb);
  a.start();
  b.start();
  ASSERT_TRUE(a.send(1, make_payload(5, std::size_t{4} << 20)));
  ASSERT_TRUE(run_until(*loop, [&] { return rb.frames.size() == 1; }));
  EXPECT_TRUE(payload_matches(rb.frames[0].payload, 5, std::size_t{4} << 20));
  EXPECT_FALSE(ra.error);
}

}  // namespace
}  // namespace valence::transport::test
