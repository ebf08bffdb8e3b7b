// Channel edge cases: send limits, descriptors where none are accepted,
// garbage, EOF mid-frame, and a delegate that destroys the channel from its
// callbacks.
#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include "channel_test_util.h"

namespace valence::transport::test {
namespace {

TEST_F(ChannelTest, SendLimits) {
  auto [sa, sb] = socket_pair();
  Recorder ra;
  ChannelOptions options;
  options.limits.max_payload = 1000;
  Channel a(*loop, std::move(sa), ra, options);
  a.start();
  EXPECT_TRUE(a.send(1, make_payload(1, 1000)));
  auto large = a.send(1, make_payload(1, 1001));
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, ErrorCode::kOverloaded);
  EXPECT_EQ(large.error().message, "a message of 1001 bytes is over the limit of 1000 bytes");
  EXPECT_FALSE(ra.error.has_value()) << "one send fails, the channel stays up";
  EXPECT_TRUE(a.send(1, make_payload(1, 10)));

  auto [sc, sd] = socket_pair();
  Recorder rc;
  Channel c(*loop, std::move(sc), rc);
  std::vector<UniqueFd> fds;
  for (int i = 0; i < 65; ++i) fds.emplace_back(::eventfd(0, EFD_CLOEXEC));
  auto many = c.send(1, make_payload(1, 10), std::move(fds));
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().message, "a message may carry at most 64 descriptors, not 65");
  EXPECT_FALSE(rc.error.has_value());
}

TEST_F(ChannelTest, AChannelThatAcceptsNoDescriptorsFailsOnTheFirst) {
  int before = count_open_fds();
  {
    auto [sa, sb] = socket_pair();
    Recorder ra, rb;
    ChannelOptions options;
    options.accept_fds = false;
    Channel a(*loop, std::move(sa), ra), b(*loop, std::move(sb), rb, options);
    a.start();
    b.start();
    std::vector<UniqueFd> fds;
    fds.emplace_back(::eventfd(0, EFD_CLOEXEC));
    ASSERT_TRUE(a.send(2, make_payload(2, 10), std::move(fds)));
    ASSERT_TRUE(run_until(*loop, [&] { return rb.error.has_value(); }));
    EXPECT_EQ(*rb.error, ChannelError::kTooManyFds);
    EXPECT_EQ(rb.detail, "the peer sent 1 descriptors on a channel that accepts none");
    for (const auto& f : rb.frames) EXPECT_TRUE(f.fds.empty());
    EXPECT_FALSE(b.is_open());
  }
  EXPECT_EQ(count_open_fds(), before);
}

TEST_F(ChannelTest, GarbageIsMalformed) {
  auto [sa, sb] = socket_pair();
  Recorder rb;
  Channel b(*loop, std::move(sb), rb);
  b.start();
  std::string text = "GARBAGE! and more";
  ASSERT_TRUE(write_all(
      sa.get(), std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  ASSERT_TRUE(run_until(*loop, [&] { return rb.error.has_value(); }));
  EXPECT_EQ(*rb.error, ChannelError::kMalformed);
  EXPECT_EQ(rb.detail, "frame header version 71 (expected 1): not a valence peer, or corrupt data");
}

struct EofCase {
  const char* name;
  std::size_t declared, present;  // of a partial frame after two whole ones
  ChannelError error;             // a clean EOF disconnects; one mid-frame is malformed data
  const char* detail;
};
void PrintTo(const EofCase& c, std::ostream* os) {
  *os << c.name;
}

class ChannelEof : public ChannelTest, public ::testing::WithParamInterface<EofCase> {};

TEST_P(ChannelEof, ReportsTheEndWithTheUnreadCount) {
  auto [sa, sb] = socket_pair();
  Recorder rb;
  Channel b(*loop, std::move(sb), rb);
  b.start();
  // Two whole frames, then the partial one, then EOF.
  for (std::uint8_t k = 1; k <= 2; ++k) {
    auto whole = raw_frame(k, 16, 16);
    ASSERT_TRUE(write_all(sa.get(), whole));
  }
  if (GetParam().declared > 0 || GetParam().present > 0) {
    auto partial = raw_frame(3, GetParam().declared, GetParam().present);
    ASSERT_TRUE(write_all(sa.get(), partial));
  }
  sa.reset();
  ASSERT_TRUE(run_until(*loop, [&] { return rb.error.has_value(); }));
  EXPECT_EQ(rb.frames.size(), 2u);
  EXPECT_EQ(*rb.error, GetParam().error);
  EXPECT_EQ(rb.detail, GetParam().detail);
  EXPECT_EQ(rb.error_calls, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChannelEof,
    ::testing::Values(
        EofCase{"clean", 0, 0, ChannelError::kDisconnected, "the peer closed the connection"},
        EofCase{"mid_frame", 100, 40, ChannelError::kMalformed,
                "the peer closed the connection in the middle of a frame (48 bytes unread)"},
        EofCase{"mid_large_frame", 1 << 20, 100000, ChannelError::kMalformed,
                "the peer closed the connection in the middle of a frame (100008 bytes unread)"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST_F(ChannelTest, TheDelegateMayDestroyTheChannelInOnFrame) {
  auto [sa, sb] = socket_pair();
  Recorder ra, rb;
  Channel a(*loop, std::move(sa), ra);
  auto b = std::make_unique<Channel>(*loop, std::move(sb), rb);
  rb.frame_hook = [&](Frame&) {
    if (rb.frames.size() == 3) b.reset();
  };
  a.start();
  b->start();
  for (std::uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(a.send(1, make_payload(i, 100)));
  ASSERT_TRUE(run_until(*loop, [&] { return b == nullptr; }));
  run_briefly(*loop);
  EXPECT_EQ(rb.frames.size(), 3u);
  EXPECT_EQ(rb.error_calls, 0);
  // The other end sees the close.
  ASSERT_TRUE(run_until(*loop, [&] { return ra.error.has_value(); }));
  EXPECT_EQ(*ra.error, ChannelError::kDisconnected);
}

TEST_F(ChannelTest, TheDelegateMayDestroyTheChannelInOnChannelError) {
  auto [sa, sb] = socket_pair();
  Recorder rb;
  auto b = std::make_unique<Channel>(*loop, std::move(sb), rb);
  rb.error_hook = [&] { b.reset(); };
  b->start();
  auto whole = raw_frame(1, 4, 4);
  ASSERT_TRUE(write_all(sa.get(), whole));
  auto bad = raw_frame(1, 4, 4);
  bad[5] = 9;
  ASSERT_TRUE(write_all(sa.get(), bad));
  ASSERT_TRUE(run_until(*loop, [&] { return b == nullptr; }));
  run_briefly(*loop);
  EXPECT_EQ(rb.frames.size(), 1u);
  EXPECT_EQ(rb.error_calls, 1);
  EXPECT_EQ(*rb.error, ChannelError::kMalformed);
}

TEST_F(ChannelTest, DestroyingAChannelWithQueuedFramesCallsNothing) {
  auto [sa, sb] = socket_pair();
  Recorder ra;
  {
    Channel a(*loop, std::move(sa), ra);
    a.start();
    ASSERT_TRUE(a.send(1, make_payload(1, 100)));
  }
  run_briefly(*loop);  // the posted flush must not touch the dead channel
  EXPECT_EQ(ra.error_calls, 0);
}

}  // namespace
}  // namespace valence::transport::test
