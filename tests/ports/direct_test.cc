// Item 4: after set-up two children talk over their ports with no hop
// through main. Main creates a MessageChannelMain, hands one port to each
// child (webContents.postMessage) and keeps no end of it; the children then
// ping-pong. Main's loop is then blocked (a handler that does not return)
// until the children made 200 more round trips, counted through a side file,
// not through main; at the end of the block not one byte is waiting in any
// of main's sockets. The block ends on the children's progress, not after a
// fixed time, so a busy machine only makes it longer.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.h"

namespace valence::ports_test {
namespace {

// The ping child's round-trip count, as written into the side file.
std::int64_t read_count(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::int64_t n = 0;
  ssize_t r = ::pread(fd, &n, sizeof n, 0);
  ::close(fd);
  return r == static_cast<ssize_t>(sizeof n) ? n : 0;
}

// args: role ("ping" | "pong"), side file. ping starts the exchange when it
// has its port and keeps going until main says "stop"; every 16 round trips
// it writes its count into the side file.
VALENCE_CHILD_SCENARIO(relay) {
  const std::string role = args.at(0);
  const int side = ::open(args.at(1).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (side < 0) return 80;
  auto c = connect_child();
  PortPtr port;
  std::int64_t count = 0;
  bool in_order = true, stopping = false, announced = false;
  auto write_side = [&] { (void)!::pwrite(side, &count, sizeof count, 0); };
  c.ipc->on("port", [&](IpcRendererEvent& e, Value) {
    port = e.ports.at(0);
    port->on_message([&](MessageEvent& m) {
      if (m.data.find("done")) {  // pong: the end
        c.ipc->send("done", role, static_cast<double>(count), in_order);
        return;
      }
      const int n = m.data.get_int32();
      if (n != static_cast<int>(count % 1000000)) in_order = false;
      ++count;
      if (role == "pong") {
        (void)port->post_message(Value(n));
        return;
      }
      if (count % 16 == 0) write_side();
      if (count == 200 && !announced) {
        announced = true;
        c.ipc->send("running");
      }
      if (stopping) {
        write_side();
        (void)port->post_message(Value::object({{"done", true}}));
        c.ipc->send("done", role, static_cast<double>(count), in_order);
        return;
      }
      (void)port->post_message(Value(static_cast<int>(count % 1000000)));
    });
    port->start();
    if (role == "ping") (void)port->post_message(Value(0));
  });
  c.ipc->on("stop", [&](IpcRendererEvent&) { stopping = true; });
  c.ipc->on("quit", [&](IpcRendererEvent&) { c.loop->quit(); });
  c.loop->run();
  ::close(side);
  return 0;
}

// Blocks this thread (and so main's loop) until the ping child's count
// grew by `n` from `from`, or a liveness deadline passed; the count then.
std::int64_t block_until_round_trips(const std::string& side_file, std::int64_t from,
                                     std::int64_t n) {
  const auto give_up = Clock::now() + kPatience;
  std::int64_t now = read_count(side_file);
  while (now - from < n && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = read_count(side_file);
  }
  return now;
}

// Bytes waiting to be read in every socket this process holds.
long unread_bytes_in_my_sockets() {
  long total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(entry.path().filename().c_str());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int n = 0;
    if (::ioctl(fd, FIONREAD, &n) == 0) total += n;
  }
  return total;
}

class DirectTest : public PortsTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/valence-ports-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    side_file = dir + "/ping-count";
    int fd = ::open(side_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string dir, side_file;
};

TEST_F(DirectTest, ChildrenKeepTalkingWhileMainsLoopIsBlocked) {
  auto ping = spawn("relay", {"ping", side_file});
  auto pong = spawn("relay", {"pong", dir + "/pong-count"});
  ASSERT_TRUE(ping && pong);
  const int fds_before = count_open_fds();

  std::int64_t before_block = -1, after_block = -1;
  long unread_after_block = -1;
  int running = 0;
  ipc().on("running", [&](IpcMainEvent&) {
    ++running;
    // Main's loop is blocked in this handler.
    before_block = read_count(side_file);
    after_block = block_until_round_trips(side_file, before_block, 200);
    unread_after_block = unread_bytes_in_my_sockets();
  });
  struct Done {
    std::string role;
    double count = 0;
    bool in_order = false;
  };
  std::vector<Done> done;
  ipc().on("done", [&](IpcMainEvent&, std::string role, double count, bool in_order) {
    done.push_back(Done{role, count, in_order});
  });

  {
    auto ch = MessageChannelMain::create(loop());
    ASSERT_TRUE(ch);
    ASSERT_TRUE(ping->post_message("port", Value("ping"), {ch->port1}));
    ASSERT_TRUE(pong->post_message("port", Value("pong"), {ch->port2}));
    EXPECT_TRUE(ch->port1->is_transferred());
    EXPECT_TRUE(ch->port2->is_transferred());
  }
  ASSERT_TRUE(run_until([&] { return running == 1; }));
  // Main kept no end of the channel.
  EXPECT_EQ(count_open_fds(), fds_before);

  const std::int64_t during = after_block - before_block;
  EXPECT_GE(before_block, 192);
  EXPECT_GE(during, 200) << "the children did not keep talking while main was blocked";
  EXPECT_EQ(unread_after_block, 0) << "bytes were waiting for main after the block: traffic "
                                      "between the children went through main";

  // A second block, by not running the loop at all.
  const std::int64_t c0 = read_count(side_file);
  const std::int64_t c1 = block_until_round_trips(side_file, c0, 50);
  EXPECT_GE(c1 - c0, 50) << "the children did not keep talking while main's loop was not run";
  EXPECT_EQ(unread_bytes_in_my_sockets(), 0);

  ping->send("stop");
  ASSERT_TRUE(run_until([&] { return done.size() == 2; }));
  double ping_count = 0, pong_count = 0;
  for (const auto& d : done) {
    EXPECT_TRUE(d.in_order) << d.role << " saw messages out of order";
    (d.role == "ping" ? ping_count : pong_count) = d.count;
  }
  EXPECT_EQ(ping_count, pong_count);
  EXPECT_GE(ping_count, static_cast<double>(after_block));
  RecordProperty("round_trips", static_cast<int>(ping_count));
  EXPECT_EQ(running, 1);
  EXPECT_TRUE(events(ping).bad_messages.empty());
  EXPECT_TRUE(events(pong).bad_messages.empty());
  ping->send("quit");
  pong->send("quit");
  ASSERT_TRUE(wait_gone(ping));
  ASSERT_TRUE(wait_gone(pong));
  EXPECT_EQ(events(ping).gone->reason, "clean-exit");
  EXPECT_EQ(events(pong).gone->reason, "clean-exit");
}

}  // namespace
}  // namespace valence::ports_test
