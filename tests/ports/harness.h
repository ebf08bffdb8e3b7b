// The multiprocess MessagePort tests' harness (the pattern of tests/ipc:
// the test binary is also every child). Run with --valence-child=<scenario>
// [args...] it runs that scenario (registered with PORTS_CHILD_SCENARIO)
// instead of gtest.
//
// Main side: PortsTest owns a loop and a MainProcess, spawns children of
// this binary, records their events and drives the loop until a condition
// holds or a deadline passes (the test fails then; nothing hangs).
//
// The "porter" child (porter_child.cc) holds MessagePorts by name and does
// what main tells it on the "cmd" channel; it answers on "result" (tag,
// report) and tells main about its ports on "port-closed" and
// "port-message". See porter_child.cc for the commands.
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

#include "port_test_util.h"
#include "valence/event_loop.h"
#include "valence/main/main_process.h"
#include "valence/message_port.h"
#include "valence/renderer/ipc_renderer.h"
#include "valence/value.h"

namespace valence::ports_test {

using Args = std::vector<std::string>;
using PortPtr = std::shared_ptr<MessagePort>;

// ---- child scenarios --------------------------------------------------------

using ChildScenario = int (*)(const Args& args);
bool register_child_scenario(const char* name, ChildScenario fn);
// Runs the scenario named in argv (--valence-child=NAME), or returns -1.
int run_child_scenario_if_asked(int argc, char** argv);

#define PORTS_CHILD_SCENARIO(name)                                               \
  static int ports_child_##name(const ::valence::ports_test::Args& args);        \
  [[maybe_unused]] static const bool ports_child_registered_##name =             \
      ::valence::ports_test::register_child_scenario(#name, ports_child_##name); \
  static int ports_child_##name([[maybe_unused]] const ::valence::ports_test::Args& args)

// Child side: a loop and a connected IpcRenderer, or _exit(90).
struct ChildContext {
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<IpcRenderer> ipc;
};
ChildContext connect_child();

// {ok: true, value} or {ok: false, code, message}.
Value report(const Result<Value>& r);
Value report(const Result<void>& r);

// Raw protocol pieces for hostile children.
int child_ipc_fd();
std::string child_ipc_token();
std::vector<std::uint8_t> hello_frame(const std::string& token);
// Sends `bytes` with `fds` riding on the first byte (blocking).
void send_with_fds(int fd, const std::vector<std::uint8_t>& bytes, const std::vector<int>& fds);
[[noreturn]] void wait_to_be_killed();

// ---- main side --------------------------------------------------------------

struct ChildEvents {
  bool loaded = false;
  std::optional<RenderProcessGoneDetails> gone;
  std::vector<std::string> bad_messages;
};

bool report_ok(const Value& r);
std::string report_code(const Value& r);
std::string report_message(const Value& r);
const Value& report_value(const Value& r);

// A "port-closed" report of a porter: what the port had received by then.
struct PortClosed {
  int child = 0;  // WebContents id
  std::string name;
  int received = 0;
  bool in_order = false;
};

class PortsTest : public ::testing::Test {
 protected:
  PortsTest();
  ~PortsTest() override;

  IpcMain& ipc() { return main_process->ipc_main(); }
  EventLoop& loop() { return *event_loop; }

  std::shared_ptr<WebContents> spawn(const std::string& scenario, const Args& args = {});
  std::shared_ptr<WebContents> spawn_no_wait(const std::string& scenario, const Args& args = {});
  std::shared_ptr<WebContents> spawn_porter() { return spawn("porter"); }
  ChildEvents& events(const std::shared_ptr<WebContents>& wc) { return events_[wc->id()]; }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
    return ports_test::run_until(*event_loop, done, timeout);
  }
  void run_for(std::chrono::milliseconds how_long) { ports_test::run_for(*event_loop, how_long); }
  bool wait_gone(const std::shared_ptr<WebContents>& wc, std::chrono::milliseconds timeout = 30s);
  bool wait_all_hosts_removed(std::chrono::milliseconds timeout = 30s);

  // A new MessageChannelMain's two ends (in main).
  void entangle(PortPtr& a, PortPtr& b);
  // Porter commands: sends {op, tag, ...fields} and waits for its result.
  Value command(const std::shared_ptr<WebContents>& wc, Value cmd,
                std::chrono::milliseconds timeout = 30s);
  // Hands `port` to a porter under `name` (mode: "echo", "count" or
  // "report"; "return" sends it straight back on "returned").
  Result<void> give_port(const std::shared_ptr<WebContents>& wc, PortPtr port,
                         const std::string& name, const std::string& mode, bool start = true);
  // Waits for the porter's "port-closed" report of `name`.
  std::optional<PortClosed> wait_port_closed(const std::shared_ptr<WebContents>& wc,
                                             const std::string& name,
                                             std::chrono::milliseconds timeout = 30s);

  std::unique_ptr<EventLoop> event_loop;
  std::map<int, ChildEvents> events_;
  std::map<int, Value> results;
  std::vector<PortClosed> closed_reports;
  struct PortMessage {
    int child = 0;
    std::string name;
    Value data;
  };
  std::vector<PortMessage> port_messages;
  std::unique_ptr<MainProcess> main_process;

 private:
  int last_tag_ = 0;
};

}  // namespace valence::ports_test
