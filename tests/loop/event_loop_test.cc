// The EventLoop contract, run over every backend (epoll; GLib when built):
// fd watches on socketpairs (events, set_events, hangup, removal from
// callbacks), timers (deadline order, cancellation), post() from other
// threads and from tasks, quit()/run()/run_once(), keep()/release(), and a
// transport Channel over the loop. GLib-only: nested run() and a context
// iterated by someone else (as WebKit's web process does).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/loop_driver.h"
#include "transport/channel_test_util.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"

#if VALENCE_TEST_GLIB_LOOP
#include <glib.h>

#include "valence/glib_loop.h"
#endif

namespace valence::loop_test {
namespace {

using namespace std::chrono_literals;
using test::Clock;
using test::kPatience;
using test::run_for;
using test::run_until;

enum class Backend { kEpoll, kGlib };

std::unique_ptr<EventLoop> make_loop(Backend backend) {
#if VALENCE_TEST_GLIB_LOOP
  if (backend == Backend::kGlib) return create_glib_loop();
#endif
  (void)backend;
  return EventLoop::create();
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kEpoll ? "Epoll" : "Glib";
}

struct Pair {
  UniqueFd a, b;
};
Pair socket_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_byte(int fd) {
  char c = 'x';
  ASSERT_EQ(::write(fd, &c, 1), 1);
}

void drain(int fd) {
  char buf[256];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

// Appends its name to a log when destroyed (not when moved from): shows
// when a callback's closure is freed.
class Probe {
 public:
  Probe(std::vector<std::string>& log, std::string name) : log_(&log), name_(std::move(name)) {}
  Probe(Probe&& other) noexcept
      : log_(std::exchange(other.log_, nullptr)), name_(std::move(other.name_)) {}
  Probe& operator=(Probe&&) = delete;
  ~Probe() {
    if (log_) log_->push_back(name_);
  }

 private:
  std::vector<std::string>* log_;
  std::string name_;
};

class EventLoopTest : public ::testing::TestWithParam<Backend> {
 protected:
  bool glib() const { return GetParam() == Backend::kGlib; }
  std::unique_ptr<EventLoop> loop = make_loop(GetParam());
};

constexpr std::uint32_t kReadable = EventLoop::kReadable;
constexpr std::uint32_t kWritable = EventLoop::kWritable;
constexpr std::uint32_t kHangup = EventLoop::kHangup;

// ---- fd watches ----

TEST_P(EventLoopTest, ReportsReadableAndWritable) {
  auto [a, b] = socket_pair();
  std::vector<std::uint32_t> seen;
  FdWatch reader = loop->watch_fd(a.get(), kReadable, [&, fd = a.get()](std::uint32_t e) {
    seen.push_back(e);
    drain(fd);
  });
  run_for(*loop, 30ms);
  EXPECT_TRUE(seen.empty()) << "nothing to read yet";

  write_byte(b.get());
  ASSERT_TRUE(run_until(*loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen, std::vector<std::uint32_t>{kReadable});

  std::uint32_t writable = 0;
  FdWatch writer;
  writer = loop->watch_fd(b.get(), kWritable, [&](std::uint32_t e) {
    writable = e;
    writer.reset();
  });
  ASSERT_TRUE(run_until(*loop, [&] { return writable != 0; }));
  EXPECT_EQ(writable, kWritable);
  EXPECT_FALSE(writer);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(EventLoopTest, SetEventsChangesWhatIsReported) {
  auto [a, b] = socket_pair();
  std::vector<std::uint32_t> seen;
  FdWatch w;
  // Reports once, then listens to nothing until told otherwise.
  w = loop->watch_fd(a.get(), kReadable, [&](std::uint32_t e) {
    seen.push_back(e);
    w.set_events(0);
  });
  run_for(*loop, 20ms);
  EXPECT_TRUE(seen.empty());

  w.set_events(kWritable);
  ASSERT_TRUE(run_until(*loop, [&] { return seen.size() == 1; }));
  EXPECT_EQ(seen[0], kWritable);
  run_for(*loop, 20ms);
  EXPECT_EQ(seen.size(), 1u) << "events 0: nothing is reported";

  write_byte(b.get());
  w.set_events(kReadable);
  ASSERT_TRUE(run_until(*loop, [&] { return seen.size() == 2; }));
  EXPECT_EQ(seen[1], kReadable);

  w.set_events(kReadable | kWritable);
  ASSERT_TRUE(run_until(*loop, [&] { return seen.size() == 3; }));
  EXPECT_EQ(seen[2], kReadable | kWritable);
}

TEST_P(EventLoopTest, ReportsHangupWithReadable) {
  auto [a, b] = socket_pair();
  std::uint32_t seen = 0;
  FdWatch w;
  w = loop->watch_fd(a.get(), kReadable, [&](std::uint32_t e) {
    seen = e;
    w.reset();
  });
  b.reset();
  ASSERT_TRUE(run_until(*loop, [&] { return seen != 0; }));
  EXPECT_EQ(seen, kHangup | kReadable);

  // A watch for writing only still hears of the hangup, but not kReadable.
  auto [c, d] = socket_pair();
  d.reset();
  seen = 0;
  w = loop->watch_fd(c.get(), kWritable, [&](std::uint32_t e) {
    seen = e;
    w.reset();
  });
  ASSERT_TRUE(run_until(*loop, [&] { return seen != 0; }));
  EXPECT_TRUE(seen & kHangup) << seen;
  EXPECT_FALSE(seen & kReadable) << seen;
}

TEST_P(EventLoopTest, ACallbackMayRemoveItsOwnWatch) {
  auto [a, b] = socket_pair();
  write_byte(b.get());  // stays unread: the fd stays readable
  std::vector<std::string> log;
  int calls = 0;
  FdWatch w;
  w = loop->watch_fd(a.get(), kReadable, [&, probe = Probe(log, "closure")](std::uint32_t) {
    ++calls;
    w.reset();
    EXPECT_TRUE(log.empty()) << "the closure was freed while running";
    log.push_back("callback returns");
  });
  run_for(*loop, 50ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(log, (std::vector<std::string>{"callback returns", "closure"}));
}

TEST_P(EventLoopTest, ACallbackMayReplaceItsOwnWatch) {
  auto [a, b] = socket_pair();
  write_byte(b.get());
  int first = 0, second = 0;
  FdWatch w;
  w = loop->watch_fd(a.get(), kReadable, [&, fd = a.get()](std::uint32_t) {
    ++first;
    w.reset();  // first: an fd may not be watched twice at once
    w = loop->watch_fd(fd, kReadable, [&, fd](std::uint32_t) {
      ++second;
      drain(fd);
    });
  });
  ASSERT_TRUE(run_until(*loop, [&] { return second == 1; }));
  run_for(*loop, 30ms);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST_P(EventLoopTest, ACallbackMayRemoveAnotherReadyWatch) {
  auto [a1, b1] = socket_pair();
  auto [a2, b2] = socket_pair();
  // Both are ready in the same iteration; whichever runs first removes the
  // other, which then must not run.
  write_byte(b1.get());
  write_byte(b2.get());
  std::vector<std::string> log;
  int calls = 0;
  FdWatch w1, w2;
  w1 = loop->watch_fd(a1.get(), kReadable,
                      [&, fd = a1.get(), p = Probe(log, "closure 1")](std::uint32_t) {
                        ++calls;
                        drain(fd);
                        w2.reset();
                      });
  w2 = loop->watch_fd(a2.get(), kReadable,
                      [&, fd = a2.get(), p = Probe(log, "closure 2")](std::uint32_t) {
                        ++calls;
                        drain(fd);
                        w1.reset();
                      });
  run_for(*loop, 50ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(log.size(), 1u) << "the removed watch's closure is freed at once";
  EXPECT_NE(static_cast<bool>(w1), static_cast<bool>(w2));
}

// ---- timers ----

TEST_P(EventLoopTest, TimersRunInDeadlineOrder) {
  std::vector<int> order;
  Timer t30 = loop->add_timer(30ms, [&] { order.push_back(30); });
  Timer t10 = loop->add_timer(10ms, [&] { order.push_back(10); });
  Timer t20 = loop->add_timer(20ms, [&] { order.push_back(20); });
  Timer t0 = loop->add_timer(0ms, [&] { order.push_back(0); });
  Timer t11 = loop->add_timer(10ms, [&] { order.push_back(11); });
  ASSERT_TRUE(run_until(*loop, [&] { return order.size() == 5; }));
  EXPECT_EQ(order, (std::vector<int>{0, 10, 11, 20, 30}));
}

TEST_P(EventLoopTest, TimersDueTogetherRunInDeadlineOrder) {
  // Added latest-first, and all due before the loop looks: still by deadline.
  std::vector<int> order;
  Timer a = loop->add_timer(30ms, [&] { order.push_back(30); });
  Timer b = loop->add_timer(20ms, [&] { order.push_back(20); });
  Timer c = loop->add_timer(1ms, [&] { order.push_back(1); });
  std::this_thread::sleep_for(80ms);
  ASSERT_TRUE(run_until(*loop, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 20, 30}));
}

TEST_P(EventLoopTest, TimersCanBeCancelled) {
  std::vector<std::string> log;
  std::vector<std::string> fired;
  Timer cancelled = loop->add_timer(
      5ms, [&, p = Probe(log, "cancelled closure")] { fired.push_back("cancelled"); });
  cancelled.reset();
  EXPECT_EQ(log, std::vector<std::string>{"cancelled closure"}) << "freed on reset()";
  EXPECT_FALSE(cancelled);

  // A callback cancels a timer due at the same moment, and resets itself.
  Timer second;
  Timer first = loop->add_timer(5ms, [&] {
    fired.push_back("first");
    second.reset();
    first.reset();
  });
  second = loop->add_timer(5ms, [&] { fired.push_back("second"); });

  // Moving keeps the timer; assigning over one cancels it.
  Timer moved_from = loop->add_timer(5ms, [&] { fired.push_back("moved"); });
  Timer moved_to = std::move(moved_from);
  moved_from.reset();  // NOLINT(bugprone-use-after-move): a no-op
  Timer replaced = loop->add_timer(5ms, [&] { fired.push_back("replaced"); });
  replaced = loop->add_timer(5ms, [&] { fired.push_back("replacement"); });

  run_for(*loop, 60ms);
  std::multiset<std::string> got(fired.begin(), fired.end());
  EXPECT_EQ(got, (std::multiset<std::string>{"first", "moved", "replacement"}));
  EXPECT_EQ(fired.front(), "first");
}

TEST_P(EventLoopTest, ATimerMayAddTimers) {
  int ticks = 0;
  Timer t;
  std::function<void()> tick = [&] {
    if (++ticks < 5) t = loop->add_timer(1ms, [&] { tick(); });
  };
  t = loop->add_timer(1ms, [&] { tick(); });
  ASSERT_TRUE(run_until(*loop, [&] { return ticks == 5; }));
}

// ---- post ----

TEST_P(EventLoopTest, PostsFromOtherThreadsKeepEachThreadsOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  std::vector<std::vector<int>> got(kThreads);
  int total = 0;
  bool timed_out = false;
  Timer guard = loop->add_timer(30s, [&] {
    timed_out = true;
    loop->quit();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->post([&, t, i] {
          got[static_cast<std::size_t>(t)].push_back(i);
          if (++total == kThreads * kPerThread) loop->quit();
        });
        if (i % 100 == 0) std::this_thread::yield();
      }
    });
  }
  loop->run();  // blocks in poll between posts: post() must wake it
  for (auto& th : threads) th.join();
  ASSERT_FALSE(timed_out) << total << " tasks ran";
  for (int t = 0; t < kThreads; ++t) {
    const auto& v = got[static_cast<std::size_t>(t)];
    ASSERT_EQ(v.size(), static_cast<std::size_t>(kPerThread)) << "thread " << t;
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(v[static_cast<std::size_t>(i)], i);
  }
}

// What ends the wait is asserted, not how long it took: the only other
// thing that could end it is a guard timer far in the future (it turns a
// lost wake-up into a failure instead of a hang).
TEST_P(EventLoopTest, APostFromAnotherThreadWakesABlockedRunOnce) {
  loop->run_once(0ms);
  bool ran = false, guard_fired = false;
  Timer guard = loop->add_timer(kPatience, [&] { guard_fired = true; });
  std::thread poster([&] {
    std::this_thread::sleep_for(50ms);
    loop->post([&] { ran = true; });
  });
  while (!ran && !guard_fired) loop->run_once(std::chrono::hours(1));
  poster.join();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(guard_fired) << "run_once slept through the post";
}

TEST_P(EventLoopTest, TasksRunInPostingOrder) {
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) loop->post([&, i] { order.push_back(i); });
  ASSERT_TRUE(run_until(*loop, [&] { return order.size() == 100; }));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST_P(EventLoopTest, TasksPostedByTasksDoNotStarveFdsOrTimers) {
  int reposts = 0;
  bool stop = false;
  std::function<void()> again = [&] {
    ++reposts;
    if (!stop) loop->post([&] { again(); });
  };
  loop->post([&] { again(); });

  auto [a, b] = socket_pair();
  write_byte(b.get());
  bool fd_fired = false, timer_fired = false;
  FdWatch w = loop->watch_fd(a.get(), kReadable, [&, fd = a.get()](std::uint32_t) {
    fd_fired = true;
    drain(fd);
  });
  Timer t = loop->add_timer(2ms, [&] { timer_fired = true; });

  // Each run_once runs a bounded number of tasks, then returns.
  int before = reposts;
  loop->run_once(0ms);
  EXPECT_GE(reposts - before, 1);
  EXPECT_LE(reposts - before, 2);

  run_until(*loop, [&] { return fd_fired && timer_fired; });
  EXPECT_TRUE(fd_fired);
  EXPECT_TRUE(timer_fired);
  stop = true;
  run_for(*loop, 10ms);
}

// ---- run, quit, run_once ----

TEST_P(EventLoopTest, QuitFromCallbacksEndsRun) {
  Timer guard = loop->add_timer(30s, [&] {
    ADD_FAILURE() << "quit() did not end run()";
    loop->quit();
  });

  Timer t = loop->add_timer(5ms, [&] { loop->quit(); });
  loop->run();
  EXPECT_FALSE(loop->run_once(0ms)) << "quit sticks until the next run()";

  loop->post([&] { loop->quit(); });
  loop->run();

  auto [a, b] = socket_pair();
  write_byte(b.get());
  FdWatch w = loop->watch_fd(a.get(), kReadable, [&, fd = a.get()](std::uint32_t) {
    drain(fd);
    loop->quit();
  });
  loop->run();
}

TEST_P(EventLoopTest, NoTimerRunsAfterQuitInTheSameRun) {
  std::vector<std::string> fired;
  Timer first = loop->add_timer(1ms, [&] {
    fired.push_back("first");
    loop->quit();
  });
  Timer second = loop->add_timer(2ms, [&] {
    fired.push_back("second");
    loop->quit();
  });
  std::this_thread::sleep_for(20ms);  // both are due at once
  loop->run();
  EXPECT_EQ(fired, std::vector<std::string>{"first"});
  loop->run();  // the second stayed due
  EXPECT_EQ(fired, (std::vector<std::string>{"first", "second"}));
}

TEST_P(EventLoopTest, QuitOutsideARunMakesRunOnceReturnFalse) {
  EXPECT_TRUE(loop->run_once(0ms));
  loop->quit();
  EXPECT_FALSE(loop->run_once(0ms));
  EXPECT_FALSE(loop->run_once(10ms));
  // run() starts afresh.
  loop->post([&] { loop->quit(); });
  loop->run();
}

// A timeout waits at least its duration (a lower bound the loop
// guarantees); that a wait ends is shown by what ended it, against a guard
// timer far in the future, never by an upper bound on the time.
TEST_P(EventLoopTest, RunOnceWaitsAboutItsTimeout) {
  // GLib may owe the context a wake-up from earlier work: take it first.
  loop->run_once(0ms);
  loop->run_once(0ms);
  bool guard_fired = false;
  Timer guard = loop->add_timer(kPatience, [&] { guard_fired = true; });

  // A zero timeout does not wait: it returns before the guard is due.
  EXPECT_TRUE(loop->run_once(0ms));
  EXPECT_FALSE(guard_fired) << "a zero timeout waited";

  auto t0 = Clock::now();
  EXPECT_TRUE(loop->run_once(100ms));
  EXPECT_GE(Clock::now() - t0, 50ms);
  EXPECT_FALSE(guard_fired) << "run_once(100ms) waited for a timer due much later";

  // A timer due sooner than the timeout ends the wait.
  bool fired = false;
  Timer t = loop->add_timer(20ms, [&] { fired = true; });
  while (!fired && !guard_fired) loop->run_once(std::chrono::hours(1));
  EXPECT_TRUE(fired);
  EXPECT_FALSE(guard_fired) << "the wait ran past a timer due sooner";
}

// ---- keep / release ----

struct Kept {
  std::vector<std::string>* log;
  FdWatch watch;
  Timer timer;
  ~Kept() {
    // Unregistering works: the loop is still whole.
    watch.reset();
    timer.reset();
    log->push_back("kept");
  }
};

TEST_P(EventLoopTest, KeepHoldsAnObjectUntilRelease) {
  std::vector<std::string> log;
  auto [a, b] = socket_pair();
  auto object = std::make_shared<Kept>();
  object->log = &log;
  object->watch = loop->watch_fd(a.get(), kReadable, [](std::uint32_t) {});
  EventLoop::KeepToken token = loop->keep(object);
  object.reset();
  EXPECT_TRUE(log.empty());
  loop->release(token);
  EXPECT_EQ(log, std::vector<std::string>{"kept"});
  loop->release(token);  // again: nothing
  EXPECT_EQ(log.size(), 1u);
}

TEST_P(EventLoopTest, KeptObjectsGoFirstWhenTheLoopIsDestroyed) {
  std::vector<std::string> log;
  auto [a, b] = socket_pair();
  {
    auto object = std::make_shared<Kept>();
    object->log = &log;
    object->watch =
        loop->watch_fd(a.get(), kReadable, [p = Probe(log, "watch closure")](std::uint32_t) {});
    object->timer = loop->add_timer(1h, [p = Probe(log, "timer closure")] {});
    loop->keep(std::move(object));
  }
  loop->post([p = Probe(log, "posted closure")] {});  // never runs
  loop.reset();
  EXPECT_EQ(log,
            (std::vector<std::string>{"watch closure", "timer closure", "kept", "posted closure"}));
}

// ---- a Channel over the loop ----

TEST_P(EventLoopTest, AChannelExchangesFrames) {
  using transport::Channel;
  using transport::ChannelError;
  namespace tt = transport::test;
  auto [sa, sb] = tt::socket_pair();
  tt::Recorder ra, rb;
  auto a = std::make_unique<Channel>(*loop, std::move(sa), ra);
  Channel b(*loop, std::move(sb), rb);
  a->start();
  b.start();
  // Enough to fill the socket buffers, so the write side waits for kWritable.
  constexpr std::uint32_t kFrames = 2000;
  constexpr std::size_t kBig = std::size_t{8} << 20;
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(a->send(static_cast<std::uint8_t>(i % 200 + 1), tt::make_payload(i, i % 3000)));
    ASSERT_TRUE(b.send(static_cast<std::uint8_t>(i % 100 + 1), tt::make_payload(i + 1, i % 700)));
  }
  ASSERT_TRUE(a->send(7, tt::make_payload(99, kBig)));
  ASSERT_TRUE(tt::run_until(
      *loop, [&] { return rb.frames.size() == kFrames + 1 && ra.frames.size() == kFrames; }))
      << ra.frames.size() << " / " << rb.frames.size();
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(rb.frames[i].kind, i % 200 + 1) << i;
    ASSERT_TRUE(tt::payload_matches(rb.frames[i].payload, i, i % 3000)) << i;
    ASSERT_EQ(ra.frames[i].kind, i % 100 + 1) << i;
    ASSERT_TRUE(tt::payload_matches(ra.frames[i].payload, i + 1, i % 700)) << i;
  }
  EXPECT_TRUE(tt::payload_matches(rb.frames[kFrames].payload, 99, kBig));
  EXPECT_FALSE(ra.error);
  EXPECT_FALSE(rb.error);

  // The peer going away is a hangup: kDisconnected.
  a.reset();
  ASSERT_TRUE(tt::run_until(*loop, [&] { return rb.error.has_value(); }));
  EXPECT_EQ(*rb.error, ChannelError::kDisconnected);
}

#if VALENCE_TEST_GLIB_LOOP
INSTANTIATE_TEST_SUITE_P(Backends, EventLoopTest,
                         ::testing::Values(Backend::kEpoll, Backend::kGlib), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, EventLoopTest, ::testing::Values(Backend::kEpoll), backend_name);
#endif

// ---- GLib only ----

#if VALENCE_TEST_GLIB_LOOP

class GlibLoopTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventLoop> loop = create_glib_loop();
};

TEST_F(GlibLoopTest, NestedRunKeepsDispatchingAndQuitEndsTheInnermost) {
  Pair pair = socket_pair();  // (clang 14 cannot capture structured bindings)
  write_byte(pair.b.get());
  std::vector<std::string> log;
  std::set<std::string> in_nested;
  Timer guard = loop->add_timer(30s, [&] {
    ADD_FAILURE() << "stuck";
    loop->quit();
  });
  FdWatch w;
  Timer t;
  auto seen = [&](const std::string& what) {
    in_nested.insert(what);
    if (in_nested.size() == 3) loop->quit();  // the nested run()
  };
  loop->post([&] {
    log.push_back("outer task");
    // Sources of every kind fire inside the nested run.
    loop->post([&] { seen("task"); });
    t = loop->add_timer(1ms, [&] { seen("timer"); });
    w = loop->watch_fd(pair.a.get(), kReadable, [&, fd = pair.a.get()](std::uint32_t) {
      drain(fd);
      w.reset();
      seen("fd");
    });
    loop->run();
    log.push_back("nested returned");
    EXPECT_TRUE(loop->run_once(0ms)) << "only the inner run() was quit";
    loop->post([&] {
      log.push_back("after nested");
      loop->quit();  // the outer run()
    });
  });
  loop->run();
  EXPECT_EQ(in_nested, (std::set<std::string>{"task", "timer", "fd"}));
  EXPECT_EQ(log, (std::vector<std::string>{"outer task", "nested returned", "after nested"}));
}

TEST_F(GlibLoopTest, AWatchIsNotReenteredByANestedRun) {
  auto [a, b] = socket_pair();
  write_byte(b.get());  // unread until the end: stays readable
  int depth = 0, max_depth = 0, calls = 0;
  FdWatch w;
  w = loop->watch_fd(a.get(), kReadable, [&](std::uint32_t) {
    ++calls;
    max_depth = std::max(max_depth, ++depth);
    if (calls == 1) {
      Timer stop = loop->add_timer(50ms, [&] { loop->quit(); });
      loop->run();
    } else {
      loop->quit();
    }
    --depth;
  });
  Timer guard = loop->add_timer(30s, [&] { loop->quit(); });
  loop->run();
  EXPECT_EQ(max_depth, 1);
  EXPECT_GE(calls, 2) << "the watch fires again once its callback returned";
}

TEST_F(GlibLoopTest, SourcesFireWhenSomeoneElseIteratesTheContext) {
  // As in WebKit's web process: valence never calls run().
  auto [a, b] = socket_pair();
  write_byte(b.get());
  bool task = false, timer = false, fd = false, remote = false;
  loop->post([&] { task = true; });
  Timer t = loop->add_timer(2ms, [&] { timer = true; });
  FdWatch w = loop->watch_fd(a.get(), kReadable, [&, sock = a.get()](std::uint32_t) {
    drain(sock);
    fd = true;
  });
  std::thread poster([&] {
    std::this_thread::sleep_for(20ms);
    loop->post([&] { remote = true; });
  });
  auto deadline = Clock::now() + 20s;
  while (!(task && timer && fd && remote) && Clock::now() < deadline) {
    g_main_context_iteration(nullptr, TRUE);
  }
  poster.join();
  EXPECT_TRUE(task);
  EXPECT_TRUE(timer);
  EXPECT_TRUE(fd);
  EXPECT_TRUE(remote);
}

TEST_F(GlibLoopTest, TasksPostedBeforeQuitRunBeforeRunReturns) {
  // A task posted in the iteration that quits (a channel's last flush, say)
  // still runs before run() returns.
  bool flushed = false;
  Timer t = loop->add_timer(1ms, [&] {
    loop->quit();
    loop->post([&] { flushed = true; });
  });
  loop->run();
  EXPECT_TRUE(flushed);
}

#endif  // VALENCE_TEST_GLIB_LOOP

}  // namespace
}  // namespace valence::loop_test
