// The page socket under attack by processes of the same user (which any
// program of the user can reach): main's memory, descriptors and loop stay
// its own, whatever connects and whatever it sends before it is admitted.
// Attackers are forked processes doing raw socket calls; this process is
// main (IpcTest's loop and MainProcess, the PageServer the ui layer uses).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "harness.h"
#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "ipc/main/main_process_impl.h"
#include "ipc/main/page_server.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"

namespace valence::test {
namespace {

// A forked attacker: runs `body` in a child process and returns its pid.
template <class F>
pid_t attacker(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_IGN);
    int code = body();
    ::_exit(code);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Writes up to `total` bytes without blocking for long; returns what the
// socket took before main closed it or stopped reading (a full buffer for
// `patience` ms).
std::size_t stream(int fd, std::size_t total, int patience_ms = 1000) {
  std::vector<std::uint8_t> chunk(64 * 1024, 0x41);
  std::size_t done = 0;
  while (done < total) {
    ssize_t n =
        ::send(fd, chunk.data(), std::min(chunk.size(), total - done), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto ready = transport::wait_fd(fd, true, patience_ms);
      if (ready && *ready) continue;
    }
    break;
  }
  return done;
}

// True when main closed `fd` (EOF or reset) within `timeout`.
bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto ready = transport::wait_fd(fd, false, 50);
    if (!ready) return true;
    if (!*ready) continue;
    std::uint8_t buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
  return false;
}

class PageServerTest : public IpcTest {
 protected:
  // Waits for an attacker's exit while main's loop runs (main must answer it).
  int exit_code(pid_t pid) {
    int code = -1;
    EXPECT_TRUE(run_until(
        [&] {
          int status = 0;
          if (::waitpid(pid, &status, WNOHANG) != pid) return false;
          code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        },
        60s));
    return code;
  }
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("valence-page-server-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(base_);
    ipc().set_error_reporter([this](const std::string& e) { reports.push_back(e); });
    ipc::PageServer::Options options;
    options.base_dir = base_.string();
    auto server = ipc::PageServer::start(*main_process, options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(server).value();
    pages().add_token(kToken);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }
  const std::string& path() const { return server_->socket_path(); }
  ipc::PageBinder& pages() { return ipc::MainProcessImpl::from(*main_process).pages(); }
  // Connects from main's own thread: without blocking it (a full backlog
  // waits for main's loop to accept).
  UniqueFd connect() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path().c_str(), sizeof(addr.sun_path) - 1);
    UniqueFd fd;
    bool connected = run_until([&] {
      fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
      loop().run_once(10ms);
      return false;
    });
    EXPECT_TRUE(connected) << "could not connect to the page socket";
    return fd;
  }
  // Pumps the loop for `d` (behaviour is asserted after, never the time).
  void pump(std::chrono::milliseconds d) { run_for(d); }
  std::size_t reports_containing(const std::string& s) const {
    std::size_t n = 0;
    for (const auto& r : reports)
      if (r.find(s) != std::string::npos) ++n;
    return n;
  }

  static constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
  std::filesystem::path base_;
  std::unique_ptr<ipc::PageServer> server_;
  std::vector<std::string> reports;
};

TEST_F(PageServerTest, ThePageSocketIsPrivateAndNamedForThisProcess) {
  struct stat st {};
  ASSERT_EQ(::stat(server_->directory().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string name = std::filesystem::path(server_->directory()).filename();
  EXPECT_EQ(name.rfind("valence-" + std::to_string(::getpid()) + "-", 0), 0u) << name;
  std::string dir = server_->directory();
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the directory outlived its server";
}

TEST_F(PageServerTest, DirectoriesOfMainProcessesThatAreGoneAreRemoved) {
  // A main process that was killed: its directory and socket stay behind,
  // with nobody listening.
  pid_t dead = attacker([] { return 0; });
  wait_exit(dead);
  auto stale = base_ / ("valence-" + std::to_string(dead) + "-abcdef");
  std::filesystem::create_directories(stale);
  { auto fd = transport::listen_unix((stale / "ipc").string()); }  // closed: nobody listens
  // An older valence's name, also abandoned, and one still served.
  auto old = base_ / "valence-Xy12Zq";
  std::filesystem::create_directories(old);
  { auto fd = transport::listen_unix((old / "ipc").string()); }
  auto live = base_ / "valence-QwErTy";
  std::filesystem::create_directories(live);
  auto listening = transport::listen_unix((live / "ipc").string());
  ASSERT_TRUE(listening);
  auto unrelated = base_ / "valence-notes";  // no socket: not ours to judge
  std::filesystem::create_directories(unrelated);

  EXPECT_EQ(ipc::PageServer::remove_stale_directories(base_.string()), 2u);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_FALSE(std::filesystem::exists(old));
  EXPECT_TRUE(std::filesystem::exists(live / "ipc"));
  EXPECT_TRUE(std::filesystem::exists(unrelated));
  EXPECT_TRUE(std::filesystem::exists(server_->socket_path())) << "our own is kept";
}

TEST_F(PageServerTest, AnUnauthenticatedPeerCannotMakeMainBuffer) {
  long before = rss_kib();
  // Four attackers each announce a 1 GiB first frame and stream 256 MiB.
  std::vector<pid_t> pids;
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  for (int i = 0; i < 4; ++i) {
    pids.push_back(attacker([&] {
      auto fd = transport::connect_unix(path());
      if (!fd) return 2;
      std::vector<std::uint8_t> header(transport::kFrameHeaderSize);
      transport::write_frame_header(header.data(), 1u << 30,
                                    static_cast<std::uint8_t>(ipc::MessageKind::kHello), 0);
      write_or_exit(fd->get(), header);
      std::size_t taken = stream(fd->get(), std::size_t{256} << 20);
      (void)!::write(out[1], &taken, sizeof taken);
      return closed_by_peer(fd->get(), kPatience) ? 0 : 1;
    }));
  }
  std::vector<int> codes(4, -1);
  ASSERT_TRUE(run_until(
      [&] {
        for (std::size_t i = 0; i < pids.size(); ++i)
          if (codes[i] < 0) {
            int status = 0;
            if (::waitpid(pids[i], &status, WNOHANG) == pids[i])
              codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
          }
        return std::all_of(codes.begin(), codes.end(), [](int c) { return c >= 0; });
      },
      60s));
  for (int c : codes)
    EXPECT_EQ(c, 0) << "main did not close a connection that lied about its Hello";
  std::size_t total = 0;
  for (int i = 0; i < 4; ++i) {
    std::size_t taken = 0;
    ASSERT_EQ(::read(out[0], &taken, sizeof taken), static_cast<ssize_t>(sizeof taken));
    total += taken;
  }
  ::close(out[0]);
  ::close(out[1]);
  // What the sockets took before main closed them (kernel buffers), not
  // gigabytes; and main's memory did not grow with it.
  EXPECT_LT(total, std::size_t{32} << 20);
  EXPECT_LT(rss_kib() - before, 32 * 1024);
  EXPECT_EQ(reports_containing("bytes exceeds the limit of 1024"), 1u)
      << "reported once, not per connection";
  EXPECT_EQ(pages().pending(), 0u);
}

TEST_F(PageServerTest, AConnectionThatNeverSaysHelloIsClosedAtItsDeadline) {
  UniqueFd fd = connect();
  ASSERT_TRUE(run_until([&] { return pages().pending() == 1; }));
  // Nothing sent: main closes it once the deadline passed.
  ASSERT_TRUE(run_until([&] { return pages().pending() == 0; },
                        std::chrono::milliseconds(ipc::kHelloDeadlineMs * 4)));
  EXPECT_TRUE(closed_by_peer(fd.get(), 5s));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("no Hello within"), std::string::npos) << reports[0];
}

TEST_F(PageServerTest, ConnectionsThatHaveNotSaidHelloAreFewAtATime) {
  int before = count_open_fds();
  constexpr int kConnections = 300;
  int go[2], connected[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(connected), 0);
  pid_t pid = attacker([&] {
    std::vector<int> fds;
    for (int i = 0; i < kConnections; ++i) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, path().c_str(), sizeof(addr.sun_path) - 1);
      (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fds.push_back(fd);
    }
    (void)!::write(connected[1], "c", 1);
    char c;
    (void)!::read(go[0], &c, 1);  // holds them until told
    return 0;
  });
  // Main accepts at most the limit; the rest wait in the kernel. Counted
  // while the attacker connects (however long a busy machine takes to run
  // it) and for some loop turns after it has.
  std::size_t most = 0;
  auto attacker_connected = [&] {
    most = std::max(most, pages().pending());
    return transport::wait_fd(connected[0], false, 0).value_or(false);
  };
  ASSERT_TRUE(run_until(attacker_connected, 60s));
  for (int i = 0; i < 10; ++i) {
    pump(20ms);
    most = std::max(most, pages().pending());
  }
  EXPECT_GT(most, 0u);
  EXPECT_LE(most, 64u);
  EXPECT_LE(count_open_fds(), before + 64 + 4);
  (void)!::write(go[1], "x", 1);
  wait_exit(pid);
  for (int fd : {go[0], go[1], connected[0], connected[1]}) ::close(fd);
  // Once they are gone, a newcomer gets in.
  ASSERT_TRUE(run_until([&] { return pages().pending() == 0; }, 60s));
  UniqueFd fd = connect();
  ASSERT_TRUE(run_until([&] { return pages().pending() == 1; }, 20s));
}

TEST_F(PageServerTest, RunningOutOfDescriptorsNeitherSpinsNorFloodsTheLog) {
  int go[2], connected[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(connected), 0);
  // The attacker is forked before main's limit is lowered (it would inherit it).
  pid_t pid = attacker([&] {
    char c;
    (void)!::read(go[0], &c, 1);
    std::vector<int> fds;
    for (int i = 0; i < 100; ++i) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, path().c_str(), sizeof(addr.sun_path) - 1);
      (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fds.push_back(fd);
    }
    (void)!::write(connected[1], "c", 1);
    (void)!::read(go[0], &c, 1);
    return 0;
  });
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  // A few descriptors to spare, then none.
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(count_open_fds() + 7);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  (void)!::write(go[1], "x", 1);
  char c;
  ASSERT_EQ(::read(connected[0], &c, 1), 1);  // the backlog is full before main looks
  std::size_t wakeups_before = server_->wakeups();
  pump(1000ms);
  std::size_t wakeups = server_->wakeups() - wakeups_before;
  ::setrlimit(RLIMIT_NOFILE, &old);
  (void)!::write(go[1], "x", 1);
  wait_exit(pid);
  for (int fd : {go[0], go[1], connected[0], connected[1]}) ::close(fd);
  // Resting while out of descriptors: a handful of wake-ups, not one per
  // loop iteration; one report, not one per connection.
  EXPECT_LT(wakeups, 50u);
  EXPECT_GT(server_->refused(), 0u) << "connections were accepted and closed to make room";
  EXPECT_EQ(reports_containing("Too many open files"), 1u)
      << (reports.empty() ? std::string("no report") : reports[0]);
  // With descriptors again, connections get in.
  ASSERT_TRUE(run_until([&] { return pages().pending() == 0; }, 60s));
  UniqueFd fd = connect();
  ASSERT_TRUE(run_until([&] { return pages().pending() == 1; }, 20s));
}

TEST_F(PageServerTest, RefusalsAreReportedOncePerIntervalWithACount) {
  const auto started = Clock::now();
  pid_t pid = attacker([&] {
    for (int i = 0; i < 500; ++i) {
      auto fd = transport::connect_unix(path());
      if (!fd) continue;
      write_or_exit(fd->get(),
                    page_hello_frame("not-a-token-not-a-token-not-a-to", std::string(32, 'n')));
      closed_by_peer(fd->get(), 5s);
    }
    return 0;
  });
  ASSERT_TRUE(run_until(
      [&] {
        int status;
        return ::waitpid(pid, &status, WNOHANG) == pid;
      },
      60s));
  pump(50ms);
  // At most one report per interval of the ReportLimiter (10 s), not one
  // per refusal. How many intervals the 500 refusals span depends on how
  // busy the machine is (usually one), so that is counted, not assumed.
  const auto intervals = static_cast<std::size_t>(1 + (Clock::now() - started) / 10s);
  ASSERT_GE(reports.size(), 1u);
  EXPECT_LE(reports.size(), intervals) << "500 refusals, reported once per interval (the next "
                                          "report counts them)";
  EXPECT_NE(reports[0].find("Hello with a wrong token"), std::string::npos) << reports[0];
}

TEST_F(PageServerTest, ATokenBelongsToTheFirstProcessThatSaysHelloWithItAndDiesWithIt) {
  auto hello_then_wait = [&](int hold_fd) {
    return attacker([&, hold_fd] {
      auto fd = transport::connect_unix(path());
      if (!fd) return 2;
      write_or_exit(fd->get(), page_hello_frame(kToken, std::string(32, 'a')));
      if (hold_fd >= 0) {
        char c;
        (void)!::read(hold_fd, &c, 1);  // keeps its connection (and the token) until told
        return 0;
      }
      return closed_by_peer(fd->get(), kPatience) ? 3 : 0;
    });
  };
  int hold[2];
  ASSERT_EQ(::pipe(hold), 0);
  pid_t first = hello_then_wait(hold[0]);
  ASSERT_TRUE(run_until([&] { return pages().connections() == 1 && pages().pending() == 0; }));
  // Another process with the same token is refused.
  pid_t second = hello_then_wait(-1);
  EXPECT_EQ(exit_code(second), 3) << "a second process used the token";
  pump(50ms);
  ASSERT_FALSE(reports.empty());
  EXPECT_NE(reports.back().find("Hello with the token of another process (pid " +
                                std::to_string(first) + ")"),
            std::string::npos)
      << reports.back();
  // The first process ends: its token dies with it.
  (void)!::write(hold[1], "x", 1);
  exit_code(first);
  ::close(hold[0]);
  ::close(hold[1]);
  pump(200ms);
  reports.clear();
  pid_t third = hello_then_wait(-1);
  EXPECT_EQ(exit_code(third), 3);
  pump(50ms);
  ASSERT_FALSE(reports.empty());
  EXPECT_NE(reports.back().find("Hello with a wrong token"), std::string::npos) << reports.back();
}

TEST_F(PageServerTest, AnUnboundPageIsNotReadAndCannotFloodMain) {
  bool reached = false;
  ipc().on("steal", [&](IpcMainEvent&) { reached = true; });
  long before = rss_kib();
  int out[2], hold[2];
  ASSERT_EQ(::pipe(out), 0);
  ASSERT_EQ(::pipe(hold), 0);
  pid_t pid = attacker([&] {
    auto fd = transport::connect_unix(path());
    if (!fd) return 2;
    write_or_exit(fd->get(), page_hello_frame(kToken, std::string(32, 'b')));
    auto one = message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kMessage), 0, "steal",
                             Value::array({Value(std::string(60000, 's'))}));
    std::vector<std::uint8_t> many;
    for (int i = 0; i < 100; ++i) many.insert(many.end(), one.begin(), one.end());
    std::size_t taken = 0;
    // 100 rounds of 6 MB: the socket stops taking them (nobody reads).
    for (int round = 0; round < 100; ++round) {
      std::size_t t = 0;
      while (t < many.size()) {
        ssize_t n =
            ::send(fd->get(), many.data() + t, many.size() - t, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) break;
        t += static_cast<std::size_t>(n);
      }
      taken += t;
      if (t < many.size()) break;
    }
    (void)!::write(out[1], &taken, sizeof taken);
    char c;
    (void)!::read(hold[0], &c, 1);  // keeps the connection until killed
    return 0;
  });
  std::size_t taken = 0;
  ASSERT_TRUE(run_until([&] { return transport::wait_fd(out[0], false, 0).value_or(false); }));
  ASSERT_EQ(::read(out[0], &taken, sizeof taken), static_cast<ssize_t>(sizeof taken));
  pump(200ms);
  EXPECT_FALSE(reached) << "an unbound page reached a listener";
  EXPECT_LT(taken, std::size_t{16} << 20) << "main read an unbound page's messages";
  EXPECT_LT(rss_kib() - before, 16 * 1024);
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  for (int fd : {out[0], out[1], hold[0], hold[1]}) ::close(fd);
}

TEST_F(PageServerTest, AWebProcessHasAtMost32ConnectionsWaitingForTheirPages) {
  std::vector<UniqueFd> fds;
  for (std::size_t i = 0; i < ipc::kMaxUnboundPerToken + 8; ++i) {
    fds.push_back(connect());
    std::string nonce = std::string(31, 'c') + static_cast<char>('a' + i % 26);
    EXPECT_TRUE(write_all(fds.back().get(), page_hello_frame(kToken, nonce)));
  }
  ASSERT_TRUE(run_until([&] { return pages().pending() == 0; }));
  pump(100ms);
  std::size_t closed = 0;
  for (auto& fd : fds)
    if (closed_by_peer(fd.get(), 100ms)) ++closed;
  EXPECT_EQ(closed, 8u);
  ASSERT_FALSE(reports.empty());
  EXPECT_NE(reports[0].find("connections of one web process wait for their pages"),
            std::string::npos)
      << reports[0];
}

}  // namespace
}  // namespace valence::test
