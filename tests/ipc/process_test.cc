// The process model: render-process-gone reasons, spawn failures, the last
// messages of a child that exits, state left by dead children, descriptors in
// main, and IpcRenderer outside a valence child.
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "ipc/common/protocol.h"

namespace valence::test {
namespace {

using Strings = std::vector<std::string>;

struct GoneCase {
  const char* name;
  const char* reason;
  int exit_code;
  int signal;
};

void PrintTo(const GoneCase& c, std::ostream* os) {
  *os << c.name;
}

class GoneTest : public IpcTest, public ::testing::WithParamInterface<GoneCase> {};

TEST_P(GoneTest, RenderProcessGoneSaysWhy) {
  const GoneCase& c = GetParam();
  auto wc = spawn_puppet();
  const int id = wc->id();
  EXPECT_TRUE(wc->is_connected());
  EXPECT_FALSE(wc->is_crashed());
  std::string name = c.name;
  if (name == "exit0") command(wc, Value::object({{"op", "exit"}, {"code", 0}}));
  if (name == "exit3") command(wc, Value::object({{"op", "exit"}, {"code", 3}}));
  if (name == "abort") command(wc, Value::object({{"op", "abort"}}));
  if (name == "kill") wc->kill();
  ASSERT_TRUE(wait_gone(wc));
  const auto& d = *events(wc).gone;
  EXPECT_EQ(d.reason, c.reason);
  EXPECT_EQ(d.exit_code, c.exit_code);
  EXPECT_EQ(d.signal, c.signal);
  EXPECT_EQ(events(wc).log, (std::vector<std::string>{"gone"}))
      << "bad message: " << (events(wc).bad_messages.empty() ? "" : events(wc).bad_messages[0]);
  EXPECT_FALSE(wc->is_connected());
  EXPECT_TRUE(wc->is_crashed());
  EXPECT_FALSE(wc->send("anything", 1)) << "sends fail once the renderer is gone";
  ASSERT_TRUE(run_until([&] { return main_process->from_id(id) == nullptr; }));
  EXPECT_TRUE(main_process->all_web_contents().empty());
  EXPECT_EQ(wc->id(), id) << "the WebContents outlives its process";
}

INSTANTIATE_TEST_SUITE_P(Reasons, GoneTest,
                         ::testing::Values(GoneCase{"exit0", "clean-exit", 0, 0},
                                           GoneCase{"exit3", "abnormal-exit", 3, 0},
                                           GoneCase{"kill", "killed", SIGKILL, SIGKILL},
                                           GoneCase{"abort", "crashed", SIGABRT, SIGABRT}),
                         [](const auto& tp) { return std::string(tp.param.name); });

// Says Hello and "deaf-ready" with raw frames, then never reads its socket.
VALENCE_CHILD_SCENARIO(deaf) {
  write_or_exit(child_ipc_fd(), hello_frame(child_ipc_token()));
  write_or_exit(child_ipc_fd(), message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kMessage),
                                              0, "deaf-ready", Value::array(std::vector<Value>())));
  wait_to_be_killed();
}

// A child that dies with messages from main still unread: the kernel then
// reports ECONNRESET to main instead of EOF. That is a death, not a protocol
// violation: no on_bad_message.
class UnreadAtDeath : public IpcTest, public ::testing::WithParamInterface<GoneCase> {};

TEST_P(UnreadAtDeath, IsNotABadMessage) {
  bool ready = false;
  ipc().on("deaf-ready", [&](IpcMainEvent&) { ready = true; });
  auto wc = spawn("deaf");
  ASSERT_TRUE(run_until([&] { return ready; }));
  EXPECT_TRUE(wc->send("unread", std::string(1000, 'x')));
  bool flushed = false;
  loop().post([&] { flushed = true; });  // runs after the flush that send() posted
  ASSERT_TRUE(run_until([&] { return flushed; }));
  if (GetParam().signal == SIGKILL) {
    wc->kill();
  } else {
    ::kill(wc->process_id(), GetParam().signal);
  }
  ASSERT_TRUE(wait_gone(wc));
  EXPECT_EQ(events(wc).gone->reason, GetParam().reason);
  EXPECT_EQ(events(wc).gone->signal, GetParam().signal);
  EXPECT_TRUE(events(wc).bad_messages.empty()) << events(wc).bad_messages[0];
}

INSTANTIATE_TEST_SUITE_P(Deaths, UnreadAtDeath,
                         ::testing::Values(GoneCase{"killed", "killed", SIGKILL, SIGKILL},
                                           GoneCase{"crashed", "crashed", SIGABRT, SIGABRT}),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST_F(IpcTest, SpawnFailuresSayWhy) {
  auto missing = main_process->spawn_child({.path = "/nonexistent/valence-test-child"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kFailed);
  EXPECT_EQ(missing.error().message,
            "could not start /nonexistent/valence-test-child: No such file or directory");
  auto not_executable = main_process->spawn_child({.path = "/dev/null"});
  ASSERT_FALSE(not_executable.has_value());
  EXPECT_EQ(not_executable.error().message, "could not start /dev/null: Permission denied");
  EXPECT_TRUE(main_process->all_web_contents().empty());
}

TEST(IpcRendererOutsideAChild, ConnectSaysItWasNotStartedByValence) {
  ::unsetenv("VALENCE_IPC_FD");
  ::unsetenv("VALENCE_IPC_TOKEN");
  auto loop = EventLoop::create();
  auto r = IpcRenderer::connect(*loop);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "VALENCE_IPC_FD / VALENCE_IPC_TOKEN are not set: this process was not started by a "
            "valence main process");
}

// Sends 1000 messages, then ends: after letting the loop flush them ("loop"),
// or by returning from main at once ("return").
VALENCE_CHILD_SCENARIO(last_words) {
  auto c = connect_child();
  for (int i = 0; i < 1000; ++i) c.ipc->send("last-words", i);
  if (!args.empty() && args[0] == "loop") {
    c.loop->post([&] { c.loop->quit(); });  // runs after the flush that send() posted
    c.loop->run();
  }
  return 0;
}

class LastWords : public IpcTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(LastWords, MessagesSentRightBeforeExitAreDelivered) {
  std::vector<int> got;
  ipc().on("last-words", [&](IpcMainEvent&, int i) { got.push_back(i); });
  auto wc = spawn_no_wait("last_words", {GetParam()});
  std::size_t at_gone = 0;
  wc->on_render_process_gone([&](const RenderProcessGoneDetails&) { at_gone = got.size(); });
  ASSERT_TRUE(wait_gone(wc));
  EXPECT_EQ(events(wc).gone->reason, "clean-exit");
  EXPECT_EQ(at_gone, 1000u) << "delivered before render-process-gone";
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], i);
}

INSTANTIATE_TEST_SUITE_P(Ends, LastWords, ::testing::Values("loop", "return"),
                         [](const auto& tp) { return std::string(tp.param); });

TEST_F(IpcTest, PendingRepliesOfADeadChildAreDroppedQuietly) {
  std::shared_ptr<Promise<Value>> invoke_promise;
  std::optional<IpcMainEvent::DeferredReturn> sync_return;
  (void)ipc().handle("slow", [&](IpcMainInvokeEvent&) {
    invoke_promise = std::make_shared<Promise<Value>>();
    return invoke_promise->future();
  });
  ipc().on("slow-sync", [&](IpcMainEvent& e) { sync_return = e.defer_return_value(); });
  Strings errors;
  ipc().set_error_reporter([&](const std::string& e) { errors.push_back(e); });
  auto a = spawn_puppet();
  auto b = spawn_puppet();
  (void)invoke(a, "then", "slow");
  (void)send_sync(b, "slow-sync");
  ASSERT_TRUE(run_until([&] { return invoke_promise && sync_return; }));
  a->kill();
  b->kill();
  ASSERT_TRUE(wait_gone(a));
  ASSERT_TRUE(wait_gone(b));
  ASSERT_TRUE(wait_all_hosts_removed());
  invoke_promise->set(Value(1));  // nobody to answer: dropped
  sync_return->set(Value(2));
  sync_return.reset();
  invoke_promise.reset();
  EXPECT_FALSE(a->send("x"));
  EXPECT_FALSE(b->is_connected());
  EXPECT_TRUE(errors.empty()) << errors.front();
  // Main keeps serving new children.
  (void)ipc().handle("ping", [](IpcMainInvokeEvent&) { return "pong"; });
  auto c = spawn_puppet();
  EXPECT_EQ(report_value(await_result(invoke(c, "then", "ping"))), Value("pong"));
}

VALENCE_CHILD_SCENARIO(quick_exit) {
  auto c = connect_child();
  c.ipc->send("hi");
  c.loop->post([&] { c.loop->quit(); });
  c.loop->run();
  return 0;
}

TEST_F(IpcTest, NoDescriptorLeaksInMainAfterTwentyChildren) {
  const int before = count_open_fds();
  int hellos = 0;
  ipc().on("hi", [&](IpcMainEvent&) { ++hellos; });
  std::vector<std::shared_ptr<WebContents>> children;
  for (int i = 0; i < 20; ++i) children.push_back(spawn_no_wait("quick_exit"));
  EXPECT_FALSE(main_process->spawn_child({.path = "/nonexistent/valence-test-child"}).has_value());
  EXPECT_GT(count_open_fds(), before);
  for (auto& wc : children) {
    ASSERT_TRUE(wait_gone(wc));
    EXPECT_EQ(events(wc).gone->reason, "clean-exit");
  }
  ASSERT_TRUE(wait_all_hosts_removed());
  EXPECT_EQ(hellos, 20);
  EXPECT_EQ(count_open_fds(), before);
}

}  // namespace
}  // namespace valence::test
