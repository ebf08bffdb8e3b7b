// Main death: an intermediate "main" process (this binary, scenario
// "intermediate") spawns a grandchild with a pending invoke, and is killed
// with SIGKILL. The grandchild must not outlive it: it ends by the SIGTERM
// of PR_SET_PDEATHSIG (or, should the closed connection reach it first, by
// itself), or, when it ignores SIGTERM, it sees its pending invoke rejected
// with kDisconnected and its on_disconnect callback run, and ends. What
// ended it is asserted, never how fast (deadlines only keep a broken run
// from hanging). The processes report through a FIFO named by the
// environment variable VALENCE_TEST_FIFO.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace valence::test {
namespace {

void fifo_line(const std::string& line) {
  const char* path = std::getenv("VALENCE_TEST_FIFO");
  if (!path) return;
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string l = line + "\n";
  write_or_exit(fd, std::vector<std::uint8_t>(l.begin(), l.end()));
  ::close(fd);
}

// args: the grandchild's mode.
VALENCE_CHILD_SCENARIO(intermediate) {
  auto loop = EventLoop::create();
  MainProcess main(*loop);
  std::vector<Promise<Value>> never;  // the grandchild's invoke stays pending
  (void)main.ipc_main().handle("slow", [&](IpcMainInvokeEvent&) {
    never.emplace_back();
    return never.back().future();
  });
  auto grandchild = main.spawn_child(
      {.path = "/proc/self/exe", .args = {"--valence-child=grandchild", args.at(0)}});
  if (!grandchild) {
    fifo_line("spawn-failed " + grandchild.error().message);
    return 1;
  }
  int pid = (*grandchild)->process_id();
  main.ipc_main().on("pending", [&](IpcMainEvent&) { fifo_line("ready " + std::to_string(pid)); });
  loop->run();
  return 0;
}

// args: "default" | "ignore-then" | "ignore-get".
VALENCE_CHILD_SCENARIO(grandchild) {
  const std::string mode = args.at(0);
  if (mode != "default") ::signal(SIGTERM, SIG_IGN);
  auto c = connect_child();
  c.ipc->on_disconnect([](const std::string& reason) { fifo_line("disconnect " + reason); });
  auto on_result = [](const Result<Value>& r) {
    fifo_line(r ? std::string("invoke resolved?!")
                : std::string("invoke ") + error_code_name(r.error().code) + " " +
                      r.error().message);
  };
  Future<Value> pending = c.ipc->invoke("slow");
  c.ipc->send("pending");
  if (mode == "ignore-get") {
    on_result(pending.get());
  } else {
    pending.then(on_result);
    c.loop->run();  // quits when main goes away
  }
  fifo_line("exit");
  return 0;
}

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  std::optional<std::string> next(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[512];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n > 0) buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
};

class MainDeathTest : public IpcTest, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/valence-ipc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/report";
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
    reader_ = UniqueFd(::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(reader_.valid());
    keep_open_ = UniqueFd(::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));  // no EOF
    // Orphans (the grandchild) become our children, so they can be reaped.
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  }
  void TearDown() override {
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    reader_.reset();
    keep_open_.reset();
    ::unlink(fifo_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, fifo_;
  UniqueFd reader_, keep_open_;
};

// Waits until `pid` is gone (reaping it, as its subreaper); false at the deadline.
bool gone_within(int pid, int pidfd, Clock::time_point deadline, int* status) {
  for (;;) {
    if (::waitpid(pid, status, WNOHANG) == pid) return ::kill(pid, 0) != 0 && errno == ESRCH;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{pidfd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 20)));
  }
}

TEST_P(MainDeathTest, TheGrandchildDoesNotOutliveItsMain) {
  const std::string mode = GetParam();
  ChildOptions options;
  options.env = {"VALENCE_TEST_FIFO=" + fifo_};
  auto intermediate = spawn_no_wait("intermediate", {mode}, options);
  ASSERT_TRUE(intermediate);
  LineReader lines(reader_.get());
  auto ready = lines.next(20s);
  ASSERT_TRUE(ready.has_value()) << "the intermediate main never reported its grandchild";
  ASSERT_EQ(ready->rfind("ready ", 0), 0u) << *ready;
  const int pid = std::stoi(ready->substr(6));
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ASSERT_TRUE(pidfd.valid()) << std::strerror(errno);

  intermediate->kill();
  ASSERT_TRUE(wait_gone(intermediate));
  EXPECT_EQ(events(intermediate).gone->reason, "killed");
  int status = 0;
  if (mode == "default") {
    ASSERT_TRUE(gone_within(pid, pidfd.get(), Clock::now() + kPatience, &status))
        << "the grandchild outlived its main";
    // Ended by its parent-death signal; or, if the closed connection won
    // the race, it quit its loop and exited cleanly. Never anything else.
    const bool by_sigterm = WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
    const bool by_itself = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    EXPECT_TRUE(by_sigterm || by_itself) << "status " << status;
    return;
  }
  // SIGTERM ignored: it learns from the connection (the invoke has no
  // deadline, so the reports below can only come from the closed socket).
  auto first = lines.next(kPatience);
  auto second = lines.next(kPatience);
  ASSERT_TRUE(first && second) << "no report from the grandchild";
  const std::string rejected =
      "invoke disconnected Error invoking remote method 'slow': the main process went away "
      "(the main process closed the connection)";
  const std::string disconnected = "disconnect the main process closed the connection";
  if (mode == "ignore-then") {
    // Pending invokes reject first, then the on_disconnect callbacks run.
    EXPECT_EQ(*first, rejected);
    EXPECT_EQ(*second, disconnected);
  } else {
    // Blocked in get(): the callbacks run inside the wait, before get() returns.
    EXPECT_EQ(*first, disconnected);
    EXPECT_EQ(*second, rejected);
  }
  auto last = lines.next(kPatience);
  EXPECT_EQ(last.value_or("(nothing)"), "exit");
  ASSERT_TRUE(gone_within(pid, pidfd.get(), Clock::now() + kPatience, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

INSTANTIATE_TEST_SUITE_P(Grandchild, MainDeathTest,
                         ::testing::Values("default", "ignore-then", "ignore-get"),
                         [](const auto& tp) {
                           std::string n = tp.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace valence::test
