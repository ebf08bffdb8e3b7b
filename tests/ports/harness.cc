#include "harness.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "transport/socket_posix.h"

namespace valence::ports_test {

void send_with_fds(int fd, const std::vector<std::uint8_t>& bytes, const std::vector<int>& fds) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  std::size_t sent = 0;
  // The descriptors ride with the first byte: retry until some bytes went.
  for (int attempt = 0; sent == 0; ++attempt) {
    auto r = transport::send_some(fd, std::span<const iovec>(&iov, 1), std::span<const int>(fds));
    if (!r) {
      std::fprintf(stderr, "ports test child: sendmsg: %s\n", r.error().message.c_str());
      ::_exit(95);
    }
    sent = r->bytes;
    if (sent == 0) {
      if (attempt > 3000) ::_exit(96);
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
    }
  }
  if (sent < bytes.size() && !write_all(fd, std::span<const std::uint8_t>(bytes).subspan(sent)))
    ::_exit(96);
}

PortsTest::PortsTest() {
  ipc().on("port-closed", [this](IpcMainEvent& e, std::string name, int received, bool in_order) {
    closed_reports.push_back(PortClosed{e.sender->id(), std::move(name), received, in_order});
  });
  ipc().on("port-message", [this](IpcMainEvent& e, std::string name, Value data) {
    port_messages.push_back(PortMessage{e.sender->id(), std::move(name), std::move(data)});
  });
}

void PortsTest::entangle(PortPtr& a, PortPtr& b) {
  auto ch = MessageChannelMain::create(*event_loop);
  if (!ch) {
    ADD_FAILURE() << "MessageChannelMain::create: " << ch.error().message;
    return;
  }
  a = std::move(ch->port1);
  b = std::move(ch->port2);
}

Value PortsTest::command(const std::shared_ptr<WebContents>& wc, Value cmd,
                         std::chrono::milliseconds timeout) {
  int tag = next_tag();
  cmd.get_if_object()->set(String("tag"), Value(tag));
  if (!wc->send("cmd", std::move(cmd))) {
    ADD_FAILURE() << "the porter is not connected";
    return Value();
  }
  return await_result(tag, timeout);
}

Result<void> PortsTest::give_port(const std::shared_ptr<WebContents>& wc, PortPtr port,
                                  const std::string& name, const std::string& mode, bool start) {
  return wc->post_message(
      "port", Value::object({{"names", Value::array({name})}, {"mode", mode}, {"start", start}}),
      {std::move(port)});
}

std::optional<PortClosed> PortsTest::wait_port_closed(const std::shared_ptr<WebContents>& wc,
                                                      const std::string& name,
                                                      std::chrono::milliseconds timeout) {
  std::optional<PortClosed> found;
  run_until(
      [&] {
        for (const auto& c : closed_reports)
          if (c.child == wc->id() && c.name == name) found = c;
        return found.has_value();
      },
      timeout);
  return found;
}

}  // namespace valence::ports_test
