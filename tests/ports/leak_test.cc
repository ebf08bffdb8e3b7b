// Item 7: no leaks. 10,000 cycles of: create a MessageChannelMain in main,
// transfer one end to a child, use it, close it. Half the cycles use the
// port in the child (it echoes; main closes its end, the child drops its
// port on the close event); the other half have the child send the port
// straight back (ipcRenderer.postMessage), and main uses both ends before
// closing them. Up to 16 cycles are in flight at once. Main's and the
// child's open descriptors (/proc/self/fd) must be back at their baseline
// exactly, and RSS (/proc/self/statm) within max(10%, 2 MiB) of it, both
// measured after a warm-up.
#include <cstdio>
#include <map>
#include <string>

#include "harness.h"

namespace valence::ports_test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

class LeakTest : public PortsTest {
 protected:
  struct Cycle {
    PortPtr mine;      // main's end
    PortPtr returned;  // the child's end, back in main (odd cycles)
  };

  // Starts cycle `i`; `finished` counts completed cycles.
  void start_cycle(int i) {
    auto ch = MessageChannelMain::create(loop());
    ASSERT_TRUE(ch) << ch.error().message;
    Cycle& c = cycles_[i];
    c.mine = ch->port1;
    c.mine->on_message([this, i](MessageEvent&) { finish(i); });
    c.mine->start();
    const bool back = i % 2 == 1;
    ASSERT_TRUE(give_port(child_, ch->port2, std::to_string(i), back ? "return" : "echo"));
    if (!back) {
      ASSERT_TRUE(c.mine->post_message(Value::object({{"i", 0}})));
    }
  }
  void on_returned(int i, PortPtr port) {
    auto it = cycles_.find(i);
    ASSERT_NE(it, cycles_.end()) << "cycle " << i;
    Cycle& c = it->second;
    c.returned = std::move(port);
    MessagePort* raw = c.returned.get();
    c.returned->on_message([raw](MessageEvent& e) { (void)raw->post_message(std::move(e.data)); });
    c.returned->start();
    ASSERT_TRUE(c.mine->post_message(Value::object({{"i", 0}})));
  }
  void finish(int i) {
    auto it = cycles_.find(i);
    if (it == cycles_.end()) return;
    it->second.mine->close();
    if (it->second.returned) it->second.returned->close();
    // Not erased here: we are inside mine's listener. The driver reaps.
    done_.push_back(i);
    ++finished_;
  }
  void reap() {
    for (int i : done_) cycles_.erase(i);
    done_.clear();
  }

  // Runs cycles [from, to) with up to `window` in flight.
  bool run_cycles(int from, int to, int window) {
    int next = from;
    while (finished_ < to) {
      reap();
      while (next < to && next - finished_ < window) {
        start_cycle(next++);
        if (HasFatalFailure()) return false;
      }
      event_loop->run_once(std::chrono::milliseconds(100));
      if (HasFatalFailure()) return false;
      if (Clock::now() > deadline_) {
        ADD_FAILURE() << "cycles did not finish in time: " << finished_ << " of " << to;
        return false;
      }
    }
    reap();
    return true;
  }

  struct ChildStats {
    int fds = -1;
    double rss_kib = -1;
    int ports = -1;
  };
  ChildStats child_stats() {
    Value r = command(child_, Value::object({{"op", "stats"}}));
    const Value& v = report_value(r);
    ChildStats s;
    if (const Value* x = v.find("fds"); x && x->is_int32()) s.fds = x->get_int32();
    if (const Value* x = v.find("rss_kib"); x && x->is_number()) s.rss_kib = x->get_number();
    if (const Value* x = v.find("ports"); x && x->is_int32()) s.ports = x->get_int32();
    return s;
  }
  // The child's stats once it holds no port (its close events are async).
  ChildStats settled_child_stats() {
    ChildStats s;
    run_until(
        [&] {
          s = child_stats();
          return s.ports == 0;
        },
        30s);
    EXPECT_EQ(s.ports, 0) << "the child still holds ports";
    return s;
  }

  std::shared_ptr<WebContents> child_;
  std::map<int, Cycle> cycles_;
  std::vector<int> done_;
  int finished_ = 0;
  Clock::time_point deadline_;
};

TEST_F(LeakTest, TenThousandCyclesOfCreateTransferUseCloseLeaveFdsAndRssAtBaseline) {
  constexpr int kWarmup = 1000;
  constexpr int kCycles = 10000;
  constexpr int kWindow = 16;
  child_ = spawn_porter();
  ASSERT_TRUE(child_);
  ipc().remove_all_listeners("port-closed");
  int child_closes = 0;
  ipc().on("port-closed", [&](IpcMainEvent&, std::string, int, bool) { ++child_closes; });
  ipc().on("returned", [this](IpcMainEvent& e, std::string name) {
    on_returned(std::stoi(name), e.ports.at(0));
  });
  deadline_ = Clock::now() + std::chrono::seconds(150);  // under ctest's 180 s

  ASSERT_TRUE(run_cycles(0, kWarmup, kWindow));
  ChildStats child_before = settled_child_stats();
  const int fds_before = count_open_fds();
  const long rss_before = rss_kib();

  ASSERT_TRUE(run_cycles(kWarmup, kWarmup + kCycles, kWindow));
  ChildStats child_after = settled_child_stats();
  run_for(std::chrono::milliseconds(50));
  const int fds_after = count_open_fds();
  const long rss_after = rss_kib();

  std::printf(
      "%d cycles; main fds %d -> %d, RSS %ld -> %ld KiB; "
      "child fds %d -> %d, RSS %.0f -> %.0f KiB\n",
      kCycles, fds_before, fds_after, rss_before, rss_after, child_before.fds, child_after.fds,
      child_before.rss_kib, child_after.rss_kib);
  RecordProperty("main_rss_before_kib", static_cast<int>(rss_before));
  RecordProperty("main_rss_after_kib", static_cast<int>(rss_after));
  RecordProperty("child_rss_before_kib", static_cast<int>(child_before.rss_kib));
  RecordProperty("child_rss_after_kib", static_cast<int>(child_after.rss_kib));

  EXPECT_EQ(finished_, kWarmup + kCycles);
  EXPECT_EQ(child_closes, (kWarmup + kCycles) / 2) << "the child saw a close for every echo cycle";
  EXPECT_TRUE(cycles_.empty());
  EXPECT_EQ(fds_after, fds_before) << "main leaked descriptors";
  EXPECT_EQ(child_after.fds, child_before.fds) << "the child leaked descriptors";
  if (kAsan) {
    std::printf(
        "RSS not compared under AddressSanitizer (its quarantine holds freed memory); "
        "LeakSanitizer checks the heap at exit instead\n");
  } else {
    auto slack = [](double before) { return std::max(before * 0.10, 2048.0); };
    EXPECT_LE(static_cast<double>(rss_after),
              static_cast<double>(rss_before) + slack(static_cast<double>(rss_before)))
        << "main's RSS grew";
    EXPECT_LE(child_after.rss_kib, child_before.rss_kib + slack(child_before.rss_kib))
        << "the child's RSS grew";
  }
  EXPECT_TRUE(events(child_).bad_messages.empty());
  EXPECT_FALSE(events(child_).gone.has_value());
}

}  // namespace
}  // namespace valence::ports_test
