// BlockingIo: a channel's reads and writes without the loop (a renderer
// blocked in sendSync), with timeouts, over real socket pairs.
#include "transport/blocking_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "channel_test_util.h"

namespace valence::transport::test {
namespace {

using BlockingIoTest = ChannelTest;

TEST_F(BlockingIoTest, ReadFrameTimesOutThenReads) {
  auto [sa, sb] = socket_pair();
  Recorder rb;
  Channel b(*loop, std::move(sb), rb);
  BlockingIo io(b);
  auto t0 = Clock::now();
  auto r = io.read_frame(150);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kTimedOut);
  EXPECT_EQ(r.error().message, "timed out waiting for a frame");
  EXPECT_GE(Clock::now() - t0, 140ms);
  // A frame written later from another thread is read by the waiting call.
  std::thread writer([fd = sa.get()] {
    std::this_thread::sleep_for(50ms);  // so that the read below really waits
    auto bytes = raw_frame(6, 300 * 1024, 300 * 1024);
    EXPECT_TRUE(write_all(fd, bytes));
  });
  auto frame = io.read_frame(30000);
  writer.join();
  ASSERT_TRUE(frame.has_value()) << frame.error().message;
  EXPECT_EQ(frame->kind, 6);
  EXPECT_EQ(frame->payload.size(), 300u * 1024);
  // EOF: kDisconnected, and the delegate hears of it.
  sa.reset();
  auto eof = io.read_frame(30000);
  ASSERT_FALSE(eof.has_value());
  EXPECT_EQ(eof.error().code, ErrorCode::kDisconnected);
  ASSERT_TRUE(rb.error.has_value());
  EXPECT_EQ(*rb.error, ChannelError::kDisconnected);
  EXPECT_FALSE(b.is_open());
  EXPECT_TRUE(rb.frames.empty());
}

TEST_F(BlockingIoTest, FlushTimesOutThenCompletesWhenThePeerReads) {
  auto [sa, sb] = socket_pair();  // sb is read raw, by a thread, later
  Recorder ra;
  Channel a(*loop, std::move(sa), ra);
  BlockingIo io(a);
  constexpr std::size_t kSize = std::size_t{16} << 20;
  ASSERT_TRUE(a.send(1, make_payload(3, kSize)));
  auto t0 = Clock::now();
  auto r = io.flush(150);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kTimedOut);
  EXPECT_EQ(r.error().message, "timed out writing");
  EXPECT_GE(Clock::now() - t0, 140ms);
  EXPECT_GT(a.queued_bytes(), 0u);
  std::size_t got = 0;
  std::thread reader([&, fd = sb.get()] {
    (void)set_nonblocking(fd, false);
    std::vector<char> buf(1 << 20);
    while (got < kSize + kFrameHeaderSize) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
  });
  auto done = io.flush(60000);
  reader.join();
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(a.queued_bytes(), 0u);
  EXPECT_EQ(got, kSize + kFrameHeaderSize);
  EXPECT_FALSE(ra.error);
}

}  // namespace
}  // namespace valence::transport::test
