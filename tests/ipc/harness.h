// The multiprocess test harness. The test binary is also every child: run
// with --valence-child=<scenario> [args...] it runs that scenario (a
// function registered with VALENCE_CHILD_SCENARIO) instead of gtest.
//
// Main side: IpcTest owns a loop and a MainProcess, spawns children of this
// binary, records each child's events, and drives the loop until a condition
// holds or a deadline passes (the test fails then; nothing hangs).
//
// The "puppet" child (puppet_child.cc) does what main tells it over the
// "puppet" channel: send, invoke (then / get / co_await), send_sync, add and
// remove listeners, exit, abort. It reports on the channels "result" (tag,
// report) and "heard" (label, channel, args).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "valence/event_loop.h"
#include "valence/main/main_process.h"
#include "valence/renderer/ipc_renderer.h"
#include "valence/value.h"

namespace valence::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Args = std::vector<std::string>;

// IPC arguments from C++ values: vals(1, "two", Value::object({...})).
template <class... A>
std::vector<Value> vals(A&&... a) {
  return detail::pack_args(std::forward<A>(a)...);
}

// ---- child scenarios --------------------------------------------------------

using ChildScenario = int (*)(const Args& args);
bool register_child_scenario(const char* name, ChildScenario fn);
// Runs the scenario named in argv (--valence-child=NAME), or returns -1 when
// argv names none.
int run_child_scenario_if_asked(int argc, char** argv);

#define VALENCE_CHILD_SCENARIO(name)                                         \
  static int valence_child_##name(const ::valence::test::Args& args);        \
  [[maybe_unused]] static const bool valence_child_registered_##name =       \
      ::valence::test::register_child_scenario(#name, valence_child_##name); \
  static int valence_child_##name([[maybe_unused]] const ::valence::test::Args& args)

// Child side: a loop and a connected IpcRenderer, or exit(90) with a message.
struct ChildContext {
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<IpcRenderer> ipc;
};
ChildContext connect_child(IpcRendererOptions options = {});

// {ok: true, value} or {ok: false, code: "no_handler", message}.
Value report(const Result<Value>& r);

// Raw protocol pieces for hostile children.
int child_ipc_fd();
std::string child_ipc_token();
std::vector<std::uint8_t> frame(std::uint8_t kind, const std::vector<std::uint8_t>& payload,
                                std::uint8_t version = 1);
// A protocol message (ipc::encode_message) as a whole frame.
std::vector<std::uint8_t> message_frame(std::uint8_t kind, std::uint64_t request_id,
                                        const std::string& channel, Value body);
std::vector<std::uint8_t> hello_frame(const std::string& token);
// Blocking write of every byte (the fd may be non-blocking).
void write_all(int fd, const std::vector<std::uint8_t>& bytes);
// Waits for SIGKILL (what main does to a child that broke the protocol).
[[noreturn]] void wait_to_be_killed();

// ---- helpers for both sides -------------------------------------------------

int count_open_fds();
// Runs the loop until `done` (true) or `timeout` (false).
bool run_until(EventLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 20s);

// ---- main side --------------------------------------------------------------

struct ChildEvents {
  bool loaded = false;
  std::optional<RenderProcessGoneDetails> gone;
  std::vector<std::string> bad_messages;
  std::vector<std::string> log;  // "bad-message", "gone", in order
};

bool report_ok(const Value& r);
std::string report_code(const Value& r);
std::string report_message(const Value& r);
const Value& report_value(const Value& r);

class IpcTest : public ::testing::Test {
 protected:
  IpcTest();
  ~IpcTest() override;

  IpcMain& ipc() { return main_process->ipc_main(); }
  EventLoop& loop() { return *event_loop; }

  // Spawns this binary as `scenario`; waits until its Hello arrived.
  std::shared_ptr<WebContents> spawn(const std::string& scenario, const Args& args = {},
                                     ChildOptions options = {});
  std::shared_ptr<WebContents> spawn_puppet() { return spawn("puppet"); }
  // Spawns without waiting for the Hello.
  std::shared_ptr<WebContents> spawn_no_wait(const std::string& scenario, const Args& args = {},
                                             ChildOptions options = {});
  ChildEvents& events(const std::shared_ptr<WebContents>& wc) { return events_[wc->id()]; }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
    return valence::test::run_until(*event_loop, done, timeout);
  }
  // Waits for render-process-gone of `wc`.
  bool wait_gone(const std::shared_ptr<WebContents>& wc, std::chrono::milliseconds timeout = 20s);
  // Waits until MainProcess dropped every host (their sockets and pidfds closed).
  bool wait_all_hosts_removed(std::chrono::milliseconds timeout = 20s);

  // Puppet commands. Each returns the tag whose "result" answers it.
  int next_tag() { return ++last_tag_; }
  void command(const std::shared_ptr<WebContents>& wc, Value cmd);
  int invoke(const std::shared_ptr<WebContents>& wc, const std::string& mode,
             const std::string& channel, std::vector<Value> args = {});
  int send_sync(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                std::vector<Value> args = {}, int timeout_ms = -1);
  void send(const std::shared_ptr<WebContents>& wc, const std::string& channel,
            std::vector<Value> args = {});
  // Waits for the result with `tag`; an undefined Value (and a failure) on timeout.
  Value await_result(int tag, std::chrono::milliseconds timeout = 20s);
  // A round trip through the child (main -> child -> main): everything sent
  // before it, both ways, has been handled when it returns.
  bool sync_point(const std::shared_ptr<WebContents>& wc);
  // (Re-)installs the listener of "result" and "heard" (remove_all_listeners() drops it).
  void install_report_listeners();

  std::unique_ptr<EventLoop> event_loop;
  std::map<int, ChildEvents> events_;
  std::map<int, Value> results;
  struct Heard {
    std::string label, channel;
    Value args;
    bool sender_ok = false;
  };
  std::vector<Heard> heard;
  std::unique_ptr<MainProcess> main_process;

 private:
  int last_tag_ = 0;
};

}  // namespace valence::test
