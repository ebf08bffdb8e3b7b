// Ordering: messages from one sender are handled in the order sent, across
// send, invoke and send_sync (protocol.h). A child interleaves 1000 of them.
#include <string>
#include <vector>

#include "harness.h"

namespace valence::test {
namespace {

constexpr int kOps = 1000;

VALENCE_CHILD_SCENARIO(interleave) {
  auto c = connect_child();
  int invokes = 0, answered = 0, wrong = 0, sync_failures = 0;
  bool all_issued = false;
  auto report_when_done = [&] {
    if (all_issued && answered == invokes)
      c.ipc->send("interleave-done", invokes, answered, wrong, sync_failures);
  };
  for (int i = 0; i < kOps; ++i) {
    switch (i % 3) {
      case 0: c.ipc->send("seq", i); break;
      case 1:
        ++invokes;
        c.ipc->invoke("seq-invoke", i).then([&, i](Result<Value> r) {
          ++answered;
          if (!r || !(*r == Value(i))) ++wrong;
          report_when_done();
        });
        break;
      default: {
        auto r = c.ipc->send_sync("seq-sync", i);
        if (!r || !(*r == Value(i))) ++sync_failures;
      }
    }
  }
  all_issued = true;
  report_when_done();
  c.loop->run();
  return 0;
}

TEST_F(IpcTest, SendInvokeAndSendSyncFromOneChildStayInOrder) {
  std::vector<int> order;
  std::vector<std::string> kinds;
  ipc().on("seq", [&](IpcMainEvent&, int i) {
    order.push_back(i);
    kinds.push_back("send");
  });
  (void)ipc().handle("seq-invoke", [&](IpcMainInvokeEvent&, int i) {
    order.push_back(i);
    kinds.push_back("invoke");
    return i;
  });
  ipc().on("seq-sync", [&](IpcMainEvent& e, int i) {
    order.push_back(i);
    kinds.push_back("sync");
    e.set_return_value(i);
  });
  std::vector<int> done;
  ipc().on("interleave-done",
           [&](IpcMainEvent&, int invokes, int answered, int wrong, int sync_failures) {
             done = {invokes, answered, wrong, sync_failures};
           });
  auto wc = spawn("interleave");
  ASSERT_TRUE(run_until([&] { return !done.empty(); }, 60s)) << order.size() << " of " << kOps;
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kOps));
  for (int i = 0; i < kOps; ++i) {
    ASSERT_EQ(order[static_cast<std::size_t>(i)], i) << "position " << i;
    const char* want = i % 3 == 0 ? "send" : i % 3 == 1 ? "invoke" : "sync";
    ASSERT_EQ(kinds[static_cast<std::size_t>(i)], want) << "position " << i;
  }
  EXPECT_EQ(done, (std::vector<int>{333, 333, 0, 0}));
}

}  // namespace
}  // namespace valence::test
