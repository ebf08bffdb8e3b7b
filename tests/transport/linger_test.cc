// Flush-then-close: what was queued goes out, then the socket closes and the
// owner hears of it; nothing is read meanwhile.
#include "transport/linger.h"

#include <gtest/gtest.h>

#include "channel_test_util.h"

namespace valence::transport::test {
namespace {

using LingerTest = ChannelTest;

TEST_F(LingerTest, QueuedFramesGoOutThenTheSocketCloses) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  Channel a(*loop, std::move(sa), ra);
  Channel b(*loop, std::move(sb), rb);
  a.start();
  b.start();
  constexpr std::size_t kSize = std::size_t{4} << 20;  // more than one write
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(a.send(1, make_payload(i, kSize)));
  ASSERT_TRUE(b.send(9, make_payload(9, 10)));  // not read: a stopped reading
  int closed = 0;
  close_when_flushed(a, [&] { ++closed; });
  EXPECT_EQ(closed, 0);
  ASSERT_TRUE(run_until(*loop, [&] { return rb.error.has_value(); }));
  EXPECT_EQ(closed, 1);
  EXPECT_FALSE(a.is_open());
  ASSERT_EQ(rb.frames.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i)
    EXPECT_TRUE(payload_matches(rb.frames[i].payload, i, kSize));
  EXPECT_EQ(*rb.error, ChannelError::kDisconnected);
  EXPECT_TRUE(ra.frames.empty());
  EXPECT_EQ(ra.error_calls, 0);
}

TEST_F(LingerTest, NothingQueuedClosesAtOnce) {
  auto [sa, sb] = socket_pair();
  Recorder ra;
  Channel a(*loop, std::move(sa), ra);
  a.start();
  int closed = 0;
  close_when_flushed(a, [&] { ++closed; });
  EXPECT_EQ(closed, 1);
  EXPECT_FALSE(a.is_open());
  run_briefly(*loop);
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(ra.error_calls, 0);
}

}  // namespace
}  // namespace valence::transport::test
