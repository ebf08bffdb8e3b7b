// send_sync with a real child: the return value, failing at once where
// Electron hangs (no listener, listeners that set nothing), a value set later
// through defer_return_value(), the child's deadline, and messages main sends
// while the child is blocked (delivered afterwards, in order).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace valence::test {
namespace {

double report_ms(const Value& r) {
  const Value* ms = r.find("ms");
  return ms && ms->is_number() ? ms->get_number() : -1;
}

TEST_F(IpcTest, SendSyncReturnsTheValueSetByTheListener) {
  std::vector<bool> sync_flags;
  ipc().on("sync", [&](IpcMainEvent& e, std::string arg) {
    sync_flags.push_back(e.is_sync());
    e.set_return_value(Value::object({{"echo", arg}, {"n", 7}}));
  });
  ipc().on("sync-typed", [&](IpcMainEvent& e) { e.set_return_value(std::string("pong")); });
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "sync", vals("ping")));
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  EXPECT_EQ(report_value(r), Value::object({{"echo", "ping"}, {"n", 7}}));
  r = await_result(send_sync(wc, "sync-typed"));
  EXPECT_EQ(report_value(r), Value("pong"));
  EXPECT_EQ(sync_flags, (std::vector<bool>{true}));
}

TEST_F(IpcTest, SendSyncWithoutAListenerFailsAtOnce) {
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "nobody", vals(1)));
  EXPECT_FALSE(report_ok(r));
  EXPECT_EQ(report_code(r), "no_handler");
  EXPECT_EQ(
      report_message(r),
      "sendSync 'nobody': no listener for the synchronous message 'nobody' in the main process");
  // "At once": the puppet's send_sync has no deadline (-1), so it returned
  // because main answered no_handler, not because a timeout ran out.
}

TEST_F(IpcTest, SendSyncWhoseListenersSetNothingFailsAtOnce) {
  int ran = 0;
  ipc().on("quiet", [&](IpcMainEvent&) { ++ran; });
  ipc().on("quiet", [&](IpcMainEvent&) { ++ran; });
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "quiet"));
  EXPECT_FALSE(report_ok(r));
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(report_message(r),
            "sendSync 'quiet': the listeners of synchronous message 'quiet' returned without "
            "setting event.returnValue");
  // ipc_renderer.h: "Errors: kNoHandler (no listener, or none set event.returnValue)".
  EXPECT_EQ(report_code(r), "no_handler");
}

TEST_F(IpcTest, SendSyncValueDeferredAndSetFromATimer) {
  std::vector<Timer> timers;
  ipc().on("later", [&](IpcMainEvent& e, int x) {
    auto deferred = std::make_shared<IpcMainEvent::DeferredReturn>(e.defer_return_value());
    EXPECT_TRUE(static_cast<bool>(*deferred));
    timers.push_back(loop().add_timer(150ms, [deferred, x] { deferred->set(Value(x + 1)); }));
  });
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "later", vals(41)));
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  EXPECT_EQ(report_value(r), Value(42));
  EXPECT_GE(report_ms(r), 100);
}

TEST_F(IpcTest, SendSyncDeferredButNeverSetTimesOutAtTheChildsDeadline) {
  std::optional<IpcMainEvent::DeferredReturn> kept;
  ipc().on("never", [&](IpcMainEvent& e) { kept = e.defer_return_value(); });
  (void)ipc().handle("ping", [](IpcMainInvokeEvent&) { return "pong"; });
  ipc().on("sync", [](IpcMainEvent& e) { e.set_return_value(1); });
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "never", {}, 300));
  EXPECT_FALSE(report_ok(r));
  EXPECT_EQ(report_code(r), "timed_out");
  EXPECT_EQ(report_message(r), "no answer from the main process within 300 ms");
  // The deadline waits at least its 300 ms (with a little slack for the
  // clock's granularity); how much longer depends on the machine.
  EXPECT_GE(report_ms(r), 280);
  // Setting it now is too late: the child drops the stale answer and goes on.
  ASSERT_TRUE(kept.has_value());
  kept->set(Value("stale"));
  EXPECT_EQ(report_value(await_result(invoke(wc, "then", "ping"))), Value("pong"));
  EXPECT_EQ(report_value(await_result(send_sync(wc, "sync"))), Value(1));
}

TEST_F(IpcTest, SendSyncWithADroppedDeferredReturnFails) {
  ipc().on("drop", [&](IpcMainEvent& e) { (void)e.defer_return_value(); });
  auto wc = spawn_puppet();
  Value r = await_result(send_sync(wc, "drop"));
  EXPECT_FALSE(report_ok(r));
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r),
            "sendSync 'drop': event.returnValue for 'drop' was never set (the deferred return was "
            "dropped)");
}

// The child counts "during" messages and whether any ran while it was
// blocked in send_sync; then reports.
VALENCE_CHILD_SCENARIO(sync_order) {
  auto c = connect_child();
  bool blocked = false, ran_while_blocked = false;
  std::vector<Value> seen;
  c.ipc->on("during", [&](IpcRendererEvent&, int n) {
    if (blocked) ran_while_blocked = true;
    seen.emplace_back(n);
  });
  c.ipc->send("before-block");
  blocked = true;
  Result<Value> r = c.ipc->send_sync("block");
  blocked = false;
  Value rep = report(r);
  c.ipc->on("done-sending", [&](IpcRendererEvent&) {
    std::vector<Value> copy;
    for (const auto& v : seen) copy.push_back(v.clone());
    c.ipc->send("sync-order", Value::array(std::move(copy)), ran_while_blocked, rep.clone());
  });
  c.loop->run();
  return 0;
}

TEST_F(IpcTest, MessagesSentWhileTheChildIsBlockedInSendSyncArriveAfterwardsInOrder) {
  std::shared_ptr<WebContents> wc;
  std::vector<Timer> timers;
  ipc().on("before-block", [&](IpcMainEvent& e) {
    for (int i = 0; i < 5; ++i) e.sender->send("during", i);  // arrive before the block or in it
  });
  ipc().on("block", [&](IpcMainEvent& e) {
    for (int i = 5; i < 10; ++i) e.sender->send("during", i);
    auto deferred = std::make_shared<IpcMainEvent::DeferredReturn>(e.defer_return_value());
    auto sender = e.sender;
    timers.push_back(loop().add_timer(100ms, [deferred, sender] {
      for (int i = 10; i < 15; ++i) sender->send("during", i);
      deferred->set(Value("unblocked"));
      for (int i = 15; i < 20; ++i) sender->send("during", i);
      sender->send("done-sending");
    }));
  });
  std::optional<Value> order;
  bool ran_while_blocked = true;
  Value sync_report;
  ipc().on("sync-order", [&](IpcMainEvent&, Value seen, bool while_blocked, Value rep) {
    order = std::move(seen);
    ran_while_blocked = while_blocked;
    sync_report = std::move(rep);
  });
  wc = spawn("sync_order");
  if (!run_until([&] { return order.has_value(); }, 10s)) {
    // Tell a lost wake-up from a lost message: another message makes the
    // child's socket readable again.
    wc->send("poke");
    bool later = run_until([&] { return order.has_value(); }, 5s);
    FAIL() << "the messages main sent around the sync reply were not delivered within 10 s"
           << (later ? "; they were, once another message woke the child's socket up"
                     : "; not even after another message");
  }
  std::vector<Value> want;
  for (int i = 0; i < 20; ++i) want.emplace_back(i);
  EXPECT_EQ(*order, Value::array(std::move(want)));
  EXPECT_FALSE(ran_while_blocked) << "a listener ran while the child was blocked in send_sync";
  EXPECT_EQ(report_value(sync_report), Value("unblocked"));
}

}  // namespace
}  // namespace valence::test
