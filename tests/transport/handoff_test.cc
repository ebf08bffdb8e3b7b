// Handoff: a channel's socket moving to a new owner with the bytes read but
// not delivered and queued but not written, over real socket pairs (both
// owners in this process, which the protocol does not care about).
#include "transport/handoff.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "channel_test_util.h"

namespace valence::transport::test {
namespace {

using HandoffTest = ChannelTest;

// Reads exactly `n` bytes from a blocking socket (on a thread: the writer is
// this thread's channel).
std::vector<std::uint8_t> read_exactly(int fd, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, out.data() + got, n - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

TEST_F(HandoffTest, NoByteIsLostOrRepeated) {
  auto [mine, peer] = socket_pair();
  ASSERT_TRUE(set_nonblocking(peer.get(), false));
  Recorder old_owner;
  Channel a(*loop, std::move(mine), old_owner);
  a.start();
  // The peer sends one whole frame and the first half of a second.
  auto first = raw_frame(1, 10, 10);
  auto second = raw_frame(2, 1000, 1000);
  ASSERT_TRUE(write_all(peer.get(), first));
  ASSERT_TRUE(write_all(peer.get(), std::span(second).first(500)));
  ASSERT_TRUE(run_until(*loop, [&] { return !old_owner.frames.empty(); }));
  run_briefly(*loop);  // the half frame is read too
  ASSERT_EQ(old_owner.frames.size(), 1u);
  // More than the socket takes at once: part of it stays queued.
  constexpr std::size_t kSize = std::size_t{8} << 20;
  ASSERT_TRUE(a.send(3, make_payload(3, kSize)));
  ASSERT_EQ(Handoff::check(a), HandoffBlocker::kNone);
  SocketInTransit transit = Handoff::take(a);
  EXPECT_FALSE(a.is_open());
  EXPECT_EQ(transit.unread.size(), 500u);
  EXPECT_GT(transit.unsent.size(), 0u);
  EXPECT_LT(transit.unsent.size(), kSize + kFrameHeaderSize);

  Recorder new_owner;
  Channel b(*loop, std::move(transit.socket), new_owner);
  Handoff::resume(b, transit.unread.span(), transit.unsent.span());
  b.start();
  std::vector<std::uint8_t> got;
  std::atomic<bool> read_all{false};
  std::thread reader([&, fd = peer.get()] {
    got = read_exactly(fd, kFrameHeaderSize + kSize);
    read_all = true;
  });
  bool written = write_all(peer.get(), std::span(second).subspan(500), loop.get());
  // The loop writes the unsent bytes while the reader takes them.
  bool done = written && run_until(*loop, [&] { return !new_owner.frames.empty() && read_all; });
  if (!done) ::shutdown(peer.get(), SHUT_RDWR);  // the reader ends; the test fails below
  reader.join();
  ASSERT_TRUE(written);
  ASSERT_TRUE(done);
  // The peer read frame 3 exactly once, whole.
  ASSERT_EQ(got.size(), kFrameHeaderSize + kSize);
  Buffer payload;
  payload.append(got.data() + kFrameHeaderSize, kSize);
  EXPECT_EQ(got[4], 3) << "the frame header comes first";
  EXPECT_TRUE(payload_matches(payload, 3, kSize));
  // The new owner delivered frame 2 from both halves.
  ASSERT_EQ(new_owner.frames.size(), 1u);
  EXPECT_EQ(new_owner.frames[0].kind, 2);
  EXPECT_EQ(new_owner.frames[0].payload.size(), 1000u);
  EXPECT_EQ(old_owner.error_calls, 0);
  EXPECT_EQ(new_owner.error_calls, 0);
}

TEST_F(HandoffTest, ASocketWithDescriptorsStillToBeSentDoesNotLeave) {
  auto [mine, peer] = socket_pair();
  Recorder r;
  Channel a(*loop, std::move(mine), r);
  // Fill the socket so that the next frame cannot begin.
  ASSERT_TRUE(a.send(1, make_payload(1, std::size_t{8} << 20)));
  std::vector<UniqueFd> fds;
  fds.emplace_back(::eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(a.send(2, make_payload(2, 10), std::move(fds)));
  EXPECT_EQ(Handoff::check(a), HandoffBlocker::kDescriptorsToSend);
  EXPECT_TRUE(a.is_open());
  EXPECT_GT(a.queued_bytes(), 0u);
}

TEST_F(HandoffTest, ReleaseSocketDropsWhatIsQueued) {
  auto [mine, peer] = socket_pair();
  Recorder r;
  Channel a(*loop, std::move(mine), r);
  ASSERT_TRUE(a.send(1, make_payload(1, 100)));
  UniqueFd fd = Handoff::release_socket(a);
  EXPECT_TRUE(fd.valid());
  EXPECT_FALSE(a.is_open());
  EXPECT_EQ(a.queued_bytes(), 0u);
  run_briefly(*loop);  // the posted flush finds nothing
  EXPECT_EQ(r.error_calls, 0);
}

}  // namespace
}  // namespace valence::transport::test
