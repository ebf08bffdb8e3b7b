// The multiprocess MessagePort tests' harness, on tests/support/
// multiprocess.h (the test binary is also every child; scenarios are
// registered with VALENCE_CHILD_SCENARIO).
//
// Main side: PortsTest adds MessagePort helpers to MultiprocessTest.
//
// The "porter" child (porter_child.cc) holds MessagePorts by name and does
// what main tells it on the "cmd" channel; it answers on "result" (tag,
// report) and tells main about its ports on "port-closed" and
// "port-message". See porter_child.cc for the commands.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "port_test_util.h"
#include "support/multiprocess.h"
#include "valence/message_port.h"
#include "valence/value.h"

namespace valence::ports_test {

using namespace ::valence::test;
using PortPtr = std::shared_ptr<MessagePort>;

// Child side: sends `bytes` with `fds` riding on the first byte (blocking).
void send_with_fds(int fd, const std::vector<std::uint8_t>& bytes, const std::vector<int>& fds);

// A "port-closed" report of a porter: what the port had received by then.
struct PortClosed {
  int child = 0;  // WebContents id
  std::string name;
  int received = 0;
  bool in_order = false;
};

class PortsTest : public MultiprocessTest {
 protected:
  PortsTest();

  std::shared_ptr<WebContents> spawn_porter() { return spawn("porter"); }

  // A new MessageChannelMain's two ends (in main).
  void entangle(PortPtr& a, PortPtr& b);
  // Porter commands: sends {op, tag, ...fields} and waits for its result.
  Value command(const std::shared_ptr<WebContents>& wc, Value cmd,
                std::chrono::milliseconds timeout = kPatience);
  // Hands `port` to a porter under `name` (mode: "echo", "count" or
  // "report"; "return" sends it straight back on "returned").
  Result<void> give_port(const std::shared_ptr<WebContents>& wc, PortPtr port,
                         const std::string& name, const std::string& mode, bool start = true);
  // Waits for the porter's "port-closed" report of `name`.
  std::optional<PortClosed> wait_port_closed(const std::shared_ptr<WebContents>& wc,
                                             const std::string& name,
                                             std::chrono::milliseconds timeout = kPatience);

  std::vector<PortClosed> closed_reports;
  struct PortMessage {
    int child = 0;
    std::string name;
    Value data;
  };
  std::vector<PortMessage> port_messages;
};

}  // namespace valence::ports_test
