// The multiprocess IPC tests' harness, on tests/support/multiprocess.h (the
// test binary is also every child; MultiprocessTest spawns and drives them).
//
// The "puppet" child (puppet_child.cc) does what main tells it over the
// "puppet" channel: send, invoke (then / get / co_await), send_sync, add and
// remove listeners, exit, abort. It reports on the channels "result" (tag,
// report) and "heard" (label, channel, args).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/multiprocess.h"
#include "valence/value.h"

namespace valence::test {

using namespace std::chrono_literals;

// IPC arguments from C++ values: vals(1, "two", Value::object({...})).
template <class... A>
std::vector<Value> vals(A&&... a) {
  return detail::pack_args(std::forward<A>(a)...);
}

class IpcTest : public MultiprocessTest {
 protected:
  IpcTest();

  std::shared_ptr<WebContents> spawn_puppet() { return spawn("puppet"); }

  // Puppet commands. Each returns the tag whose "result" answers it.
  void command(const std::shared_ptr<WebContents>& wc, Value cmd);
  int invoke(const std::shared_ptr<WebContents>& wc, const std::string& mode,
             const std::string& channel, std::vector<Value> args = {});
  int send_sync(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                std::vector<Value> args = {}, int timeout_ms = -1);
  void send(const std::shared_ptr<WebContents>& wc, const std::string& channel,
            std::vector<Value> args = {});
  // A round trip through the child (main -> child -> main): everything sent
  // before it, both ways, has been handled when it returns.
  bool sync_point(const std::shared_ptr<WebContents>& wc);
  // (Re-)installs the listeners of "result" and "heard" (remove_all_listeners() drops them).
  void install_report_listeners();

  struct Heard {
    std::string label, channel;
    Value args;
    bool sender_ok = false;
  };
  std::vector<Heard> heard;

 private:
  void listen_for_heard();
};

}  // namespace valence::test
