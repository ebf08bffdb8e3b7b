// Multiprocess tests: the test binary is also every child. Run with
// --valence-child=<scenario> [args...] it runs that scenario (a function
// registered with VALENCE_CHILD_SCENARIO) instead of the tests; main() is
// multiprocess_test_main().
//
// Main side: MultiprocessTest owns a loop and a MainProcess, spawns
// children of this binary, records each child's events and the "result"
// reports children send (tag, report), and drives the loop until a
// condition holds or a deadline passes (the test fails then; nothing
// hangs). tests/ipc (IpcTest) and tests/ports (PortsTest) build on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/fds.h"
#include "support/frames.h"
#include "support/loop_driver.h"
#include "valence/event_loop.h"
#include "valence/main/main_process.h"
#include "valence/renderer/ipc_renderer.h"
#include "valence/value.h"

namespace valence::test {

using Args = std::vector<std::string>;

// ---- child scenarios --------------------------------------------------------

using ChildScenario = int (*)(const Args& args);
bool register_child_scenario(const char* name, ChildScenario fn);
// Runs the scenario named in argv (--valence-child=NAME), or returns -1 when
// argv names none.
int run_child_scenario_if_asked(int argc, char** argv);
// The main() of a multiprocess test binary: a child scenario, or the tests.
int multiprocess_test_main(int argc, char** argv);

#define VALENCE_CHILD_SCENARIO(name)                                         \
  static int valence_child_##name(const ::valence::test::Args& args);        \
  [[maybe_unused]] static const bool valence_child_registered_##name =       \
      ::valence::test::register_child_scenario(#name, valence_child_##name); \
  static int valence_child_##name([[maybe_unused]] const ::valence::test::Args& args)

// Child side: a loop and a connected IpcRenderer, or _exit(90) with a message.
struct ChildContext {
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<IpcRenderer> ipc;
};
ChildContext connect_child(IpcRendererOptions options = {});

// The child's end of its IPC socket and its token, for raw protocol bytes.
int child_ipc_fd();
std::string child_ipc_token();
// write_all(), or _exit(93) when the bytes cannot be written.
void write_or_exit(int fd, std::span<const std::uint8_t> bytes);
// Waits for SIGKILL (what main does to a child that broke the protocol).
[[noreturn]] void wait_to_be_killed();

// ---- reports: what a child tells main about a call ---------------------------

// {ok: true, value} or {ok: false, code: "no_handler", message[, remote]}.
Value report(const Result<Value>& r);
// {ok: true} or {ok: false, code, message}.
Value report(const Result<void>& r);
bool report_ok(const Value& r);
std::string report_code(const Value& r);
std::string report_message(const Value& r);
const Value& report_value(const Value& r);

// ---- main side --------------------------------------------------------------

struct ChildEvents {
  bool loaded = false;
  std::optional<RenderProcessGoneDetails> gone;
  std::vector<std::string> bad_messages;
  std::vector<std::string> log;  // "bad-message", "gone", in order
};

class MultiprocessTest : public ::testing::Test {
 protected:
  MultiprocessTest();
  ~MultiprocessTest() override;

  IpcMain& ipc() { return main_process->ipc_main(); }
  EventLoop& loop() { return *event_loop; }

  // Spawns this binary as `scenario`; waits until its Hello arrived.
  std::shared_ptr<WebContents> spawn(const std::string& scenario, const Args& args = {},
                                     ChildOptions options = {});
  // Spawns without waiting for the Hello.
  std::shared_ptr<WebContents> spawn_no_wait(const std::string& scenario, const Args& args = {},
                                             ChildOptions options = {});
  ChildEvents& events(const std::shared_ptr<WebContents>& wc) { return events_[wc->id()]; }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kPatience) {
    return test::run_until(*event_loop, done, timeout);
  }
  void run_for(std::chrono::milliseconds duration) { test::run_for(*event_loop, duration); }
  // Waits for render-process-gone of `wc`.
  bool wait_gone(const std::shared_ptr<WebContents>& wc,
                 std::chrono::milliseconds timeout = kPatience);
  // Waits until MainProcess dropped every host (their sockets and pidfds closed).
  bool wait_all_hosts_removed(std::chrono::milliseconds timeout = kPatience);

  // Tags pair a command to a child with the "result" that answers it.
  int next_tag() { return ++last_tag_; }
  // Waits for the result with `tag`; an undefined Value (and a failure) on timeout.
  Value await_result(int tag, std::chrono::milliseconds timeout = kPatience);
  // (Re-)installs the listener of "result" (remove_all_listeners() drops it).
  void listen_for_results();

  std::unique_ptr<EventLoop> event_loop;
  std::map<int, ChildEvents> events_;
  std::map<int, Value> results;
  std::unique_ptr<MainProcess> main_process;

 private:
  int last_tag_ = 0;
};

}  // namespace valence::test
