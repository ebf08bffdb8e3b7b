// Item 5: closing either end, or the death of the process that holds it,
// gives the other end a close event, after every message sent before the
// close. Child <-> child and child <-> main.
#include <signal.h>

#include <string>

#include "harness.h"

namespace valence::ports_test {
namespace {

using Strings = std::vector<std::string>;

void record(const PortPtr& port, Strings& log) {
  port->on_message([&log](MessageEvent& e) {
    const Value* i = e.data.find("i");
    log.push_back(i && i->is_int32() ? std::to_string(i->get_int32()) : e.data.to_debug_string());
  });
  port->on_close([&log] { log.push_back("close"); });
}

Strings numbers_then_close(int n) {
  Strings out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  out.push_back("close");
  return out;
}

class CloseTest : public PortsTest {
 protected:
  // Two porters holding the two ends of a channel as "p" (mode "count").
  void connect_two() {
    a = spawn_porter();
    b = spawn_porter();
    ASSERT_TRUE(a && b);
    auto ch = MessageChannelMain::create(loop());
    ASSERT_TRUE(ch);
    ASSERT_TRUE(give_port(a, ch->port1, "p", "count"));
    ASSERT_TRUE(give_port(b, ch->port2, "p", "count"));
    // Both have their port (a command is handled after the port arrived).
    ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "count"}, {"name", "p"}}))));
    ASSERT_TRUE(report_ok(command(b, Value::object({{"op", "count"}, {"name", "p"}}))));
  }
  Value post(const std::shared_ptr<WebContents>& wc, int count, const std::string& op = "post") {
    return command(wc, Value::object({{"op", op}, {"name", "p"}, {"count", count}}));
  }
  std::shared_ptr<WebContents> a, b;
};

TEST_F(CloseTest, AChildClosesItsPortAndTheOtherChildGetsCloseAfterEveryMessage) {
  connect_two();
  Value r = post(a, 500);
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "close"}, {"name", "p"}}))));
  auto closed = wait_port_closed(b, "p");
  ASSERT_TRUE(closed) << "b got no close event";
  EXPECT_EQ(closed->received, 500);
  EXPECT_TRUE(closed->in_order);
  // The closing side gets no close event of its own.
  run_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(wait_port_closed(a, "p", std::chrono::milliseconds(1)));
}

// post_message() then close() in the same turn of the child's loop.
TEST_F(CloseTest, MessagesPostedRightBeforeCloseInTheSameTurnStillArriveFirst) {
  connect_two();
  Value r = post(a, 500, "post_close");
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  auto closed = wait_port_closed(b, "p");
  ASSERT_TRUE(closed) << "b got no close event";
  EXPECT_EQ(closed->received, 500) << "messages posted just before close() were lost";
  EXPECT_TRUE(closed->in_order);
}

TEST_F(CloseTest, AChildThatDropsItsPortClosesIt) {
  connect_two();
  ASSERT_TRUE(report_ok(post(a, 20)));
  ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "drop"}, {"name", "p"}}))));
  auto closed = wait_port_closed(b, "p");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->received, 20);
}

TEST_F(CloseTest, KillingTheChildThatHoldsAPortClosesTheOtherEndAfterItsMessages) {
  connect_two();
  Value r = post(a, 300);
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  a->kill();
  auto closed = wait_port_closed(b, "p");
  ASSERT_TRUE(closed) << "b got no close event after a was killed";
  EXPECT_EQ(closed->received, 300);
  EXPECT_TRUE(closed->in_order);
  ASSERT_TRUE(wait_gone(a));
  EXPECT_EQ(events(a).gone->reason, "killed");
  EXPECT_TRUE(b->is_connected());
}

TEST_F(CloseTest, KillingAChildWhosePortsAreNotStartedClosesTheOtherEnd) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  Strings log;
  record(ch->port1, log);
  ch->port1->start();
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count", /*start=*/false));
  ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "echo"}}))));
  a->kill();
  ASSERT_TRUE(run_until([&] { return log == Strings{"close"}; }));
}

TEST_F(CloseTest, KillingAChildRightAfterPostingItAPortClosesTheOtherEnd) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  Strings log;
  record(ch->port1, log);
  ch->port1->start();
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count"));
  a->kill();  // the port may be queued, in flight, or just arrived
  ASSERT_TRUE(run_until([&] { return log == Strings{"close"}; }));
}

TEST_F(CloseTest, AChildClosesAndMainsPortGetsCloseAfterEveryMessage) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  Strings log;
  record(ch->port1, log);
  ch->port1->start();
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count"));
  ASSERT_TRUE(report_ok(post(a, 400)));
  ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "close"}, {"name", "p"}}))));
  ASSERT_TRUE(run_until([&] { return !log.empty() && log.back() == "close"; }));
  EXPECT_EQ(log, numbers_then_close(400));
  EXPECT_TRUE(ch->port1->is_closed());
}

TEST_F(CloseTest, KillingTheChildGivesMainsPortCloseAfterEveryMessage) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  Strings log;
  record(ch->port1, log);
  ch->port1->start();
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count"));
  ASSERT_TRUE(report_ok(post(a, 400)));
  a->kill();
  ASSERT_TRUE(run_until([&] { return !log.empty() && log.back() == "close"; }));
  EXPECT_EQ(log, numbers_then_close(400));
}

TEST_F(CloseTest, MainClosesItsPortAndTheChildGetsCloseAfterEveryMessage) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count"));
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(ch->port1->post_message(Value::object({{"i", i}})));
  run_for(std::chrono::milliseconds(50));  // the messages have left main
  ch->port1->close();
  auto closed = wait_port_closed(a, "p");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->received, 400);
  EXPECT_TRUE(closed->in_order);
}

// A port whose partner lives in a child that exits on its own (not killed).
TEST_F(CloseTest, AChildThatExitsClosesItsPorts) {
  a = spawn_porter();
  auto ch = MessageChannelMain::create(loop());
  ASSERT_TRUE(ch);
  Strings log;
  record(ch->port1, log);
  ch->port1->start();
  ASSERT_TRUE(give_port(a, ch->port2, "p", "count"));
  ASSERT_TRUE(report_ok(post(a, 10)));
  ASSERT_TRUE(a->send("cmd", Value::object({{"op", "exit"}, {"tag", 0}})));
  ASSERT_TRUE(run_until([&] { return !log.empty() && log.back() == "close"; }));
  EXPECT_EQ(log, numbers_then_close(10));
  ASSERT_TRUE(wait_gone(a));
  EXPECT_EQ(events(a).gone->reason, "clean-exit");
}

// The child returns from main() normally while it holds ports of every
// kind (received from main, created itself, received through a port): they
// are closed by their destructors, and the process exits 0 (under ASan
// that includes LeakSanitizer's check).
TEST_F(CloseTest, AChildThatQuitsNormallyClosesItsPortsAndExitsCleanly) {
  a = spawn_porter();
  PortPtr mine, theirs;
  entangle(mine, theirs);
  Strings log;
  record(mine, log);
  mine->start();
  ASSERT_TRUE(give_port(a, theirs, "p", "echo"));
  ASSERT_TRUE(report_ok(command(a, Value::object({{"op", "make"},
                                                  {"names", Value::array({"q", "r"})},
                                                  {"mode", "count"},
                                                  {"start", true}}))));
  PortPtr carried, carried_peer;
  entangle(carried, carried_peer);
  Strings carried_log;
  record(carried_peer, carried_log);
  carried_peer->start();
  ASSERT_TRUE(mine->post_message(
      Value::object(
          {{"i", 0}, {"names", Value::array({"carried"})}, {"mode", "count"}, {"start", true}}),
      {carried}));
  ASSERT_TRUE(run_until([&] { return log.size() == 1; }));  // the echo
  ASSERT_TRUE(a->send("cmd", Value::object({{"op", "quit"}, {"tag", 0}})));
  ASSERT_TRUE(wait_gone(a));
  EXPECT_EQ(events(a).gone->reason, "clean-exit");
  EXPECT_EQ(events(a).gone->exit_code, 0);
  ASSERT_TRUE(run_until([&] { return log.size() == 2 && carried_log.size() == 1; }));
  EXPECT_EQ(log, (Strings{"0", "close"}));
  EXPECT_EQ(carried_log, Strings{"close"});
}

}  // namespace
}  // namespace valence::ports_test
