// Hostile port traffic costs only its sender.
//
// 1. On the IPC connection: a child sends a kPostMessage (raw frames after
//    the Hello) whose descriptors are not sockets, or not connected stream
//    sockets, or whose count does not match the ports in the body. Main
//    reports it (on_bad_message, naming the problem), kills the child, keeps
//    serving another child and leaks no descriptor.
// 2. On a port: a child hands main a real port (a socket pair end, by a raw
//    kPostMessage) and then writes junk on the other end. Main's port gets
//    a close event after the valid messages that came first; main is fine.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "harness.h"

namespace valence::ports_test {
namespace {

using ipc::MessageKind;

ipc::Message post_message(MessageKind kind, Value body, const std::string& channel = "ch") {
  ipc::Message m;
  m.kind = kind;
  m.channel = channel;
  m.body = std::move(body);
  return m;
}

int make_pipe_read_end() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) ::_exit(81);
  return p[0];
}

// fds[0]: one end of a connected stream pair (the other end is leaked on
// purpose in this short-lived child).
int make_stream_end() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) ::_exit(82);
  return sv[0];
}

// args[0]: the case.
VALENCE_CHILD_SCENARIO(hostile_post) {
  const std::string what = args.at(0);
  const int fd = child_ipc_fd();
  send_with_fds(fd, hello_frame(child_ipc_token()), {});
  auto send = [&](const ipc::Message& m, std::vector<int> fds, int declared = -1) {
    auto bytes = message_frame(
        m,
        static_cast<std::uint16_t>(declared < 0 ? fds.size() : static_cast<std::size_t>(declared)));
    send_with_fds(fd, bytes, fds);
  };
  if (what == "pipe") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {make_pipe_read_end()});
  } else if (what == "dgram") {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return 83;
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {sv[0]});
  } else if (what == "seqpacket") {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return 83;
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {sv[0]});
  } else if (what == "unconnected") {
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {s});
  } else if (what == "inet") {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {s});
  } else if (what == "second_is_a_pipe") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 2)),
         {make_stream_end(), make_pipe_read_end()});
  } else if (what == "more_fds_than_ports") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)),
         {make_stream_end(), make_stream_end()});
  } else if (what == "fewer_fds_than_ports") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 2)), {make_stream_end()});
  } else if (what == "no_fds_for_a_port") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 1)), {});
  } else if (what == "fds_for_no_ports") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 0)), {make_stream_end()});
  } else if (what == "not_a_pair") {
    send(post_message(MessageKind::kPostMessage, Value("x")), {make_stream_end()});
  } else if (what == "prefix_not_a_buffer") {
    send(post_message(MessageKind::kPostMessage,
                      Value::array({Value("x"), Value::array({Value(1)})})),
         {make_stream_end()});
  } else if (what == "port_message_kind") {
    send(post_message(MessageKind::kPortMessage, post_body(Value("x"), 0), ""), {});
  } else if (what == "port_message_kind_with_fd") {
    send(post_message(MessageKind::kPortMessage, post_body(Value("x"), 1), ""),
         {make_stream_end()});
  } else if (what == "declares_more_fds_than_sent") {
    send(post_message(MessageKind::kPostMessage, post_body(Value("x"), 2)), {make_stream_end()}, 2);
  } else {
    return 97;
  }
  wait_to_be_killed();
}

struct HostileCase {
  const char* name;
  const char* reason;  // after "renderer N (pid P) sent a bad message: "
  bool exact;          // else: contained
};

void PrintTo(const HostileCase& c, std::ostream* os) {
  *os << c.name;
}

class HostilePost : public PortsTest, public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostilePost, IsReportedAndKilledAndCostsOnlyItself) {
  const HostileCase& c = GetParam();
  int listener_calls = 0;
  ipc().on("ch", [&](IpcMainEvent&) { ++listener_calls; });
  const int fds_before = count_open_fds();
  auto good = spawn_porter();
  auto bad = spawn_no_wait("hostile_post", {c.name});
  ASSERT_TRUE(good && bad);
  ASSERT_TRUE(run_until([&] { return !events(bad).bad_messages.empty(); }, 15s))
      << "no on_bad_message; gone: " << (events(bad).gone ? events(bad).gone->reason : "(not yet)")
      << " exit " << (events(bad).gone ? events(bad).gone->exit_code : 0);
  ASSERT_TRUE(wait_gone(bad));
  ASSERT_EQ(events(bad).bad_messages.size(), 1u);
  const std::string prefix = "renderer " + std::to_string(bad->id()) + " (pid " +
                             std::to_string(bad->process_id()) + ") sent a bad message: ";
  const std::string& reason = events(bad).bad_messages[0];
  if (c.exact) {
    EXPECT_EQ(reason, prefix + c.reason);
  } else {
    EXPECT_EQ(reason.rfind(prefix, 0), 0u) << reason;
    EXPECT_NE(reason.find(c.reason), std::string::npos) << reason;
  }
  EXPECT_EQ(events(bad).gone->reason, "killed");
  EXPECT_EQ(events(bad).gone->signal, SIGKILL);
  EXPECT_EQ(listener_calls, 0) << "a bad message reached a listener";

  // The other child is fine: a port between it and main works.
  {
    auto ch = MessageChannelMain::create(loop());
    ASSERT_TRUE(ch);
    int echoes = 0;
    ch->port1->on_message([&](MessageEvent&) { ++echoes; });
    ch->port1->start();
    ASSERT_TRUE(give_port(good, ch->port2, "p", "echo"));
    ASSERT_TRUE(ch->port1->post_message(Value::object({{"i", 0}})));
    ASSERT_TRUE(run_until([&] { return echoes == 1; }));
  }
  EXPECT_TRUE(events(good).bad_messages.empty());
  EXPECT_FALSE(events(good).gone.has_value());

  // No descriptor left behind (those the hostile child sent included).
  good->kill();
  ASSERT_TRUE(wait_gone(good));
  ASSERT_TRUE(wait_all_hosts_removed());
  EXPECT_EQ(count_open_fds(), fds_before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostilePost,
    ::testing::Values(
        HostileCase{"pipe", "postMessage 'ch': port 0 is not a connected AF_UNIX stream socket",
                    true},
        HostileCase{"dgram", "postMessage 'ch': port 0 is not a connected AF_UNIX stream socket",
                    true},
        HostileCase{"seqpacket",
                    "postMessage 'ch': port 0 is not a connected AF_UNIX stream socket", true},
        HostileCase{"unconnected",
                    "postMessage 'ch': port 0 is not a connected AF_UNIX stream socket", true},
        HostileCase{"inet", "postMessage 'ch': port 0 is not a connected AF_UNIX stream socket",
                    true},
        HostileCase{"second_is_a_pipe",
                    "postMessage 'ch': port 1 is not a connected AF_UNIX stream socket", true},
        HostileCase{"more_fds_than_ports", "postMessage 'ch': 2 port descriptors for 1 ports",
                    true},
        HostileCase{"fewer_fds_than_ports", "postMessage 'ch': 1 port descriptors for 2 ports",
                    true},
        HostileCase{"no_fds_for_a_port", "postMessage 'ch': 0 port descriptors for 1 ports", true},
        HostileCase{"fds_for_no_ports", "postMessage 'ch': 1 port descriptors for 0 ports", true},
        HostileCase{"not_a_pair", "postMessage 'ch': a posted message must be [message, [port...]]",
                    true},
        HostileCase{"prefix_not_a_buffer",
                    "postMessage 'ch': port 0 is not [prefix, unsent, entangle id]", true},
        HostileCase{"port_message_kind", "unexpected PortMessage from a renderer", true},
        HostileCase{"port_message_kind_with_fd", "1 unexpected descriptors with a frame of kind 10",
                    true},
        HostileCase{"declares_more_fds_than_sent", "descriptor", false}),
    [](const auto& tp) { return std::string(tp.param.name); });

// ---- junk on a port ----------------------------------------------------------------

// args[0]: the case. Hands main a port (raw kPostMessage on "hostile-port"
// carrying one end of a socket pair), sends one valid message {i: 0} on the
// other end, then the junk; then waits.
VALENCE_CHILD_SCENARIO(hostile_port) {
  const std::string what = args.at(0);
  const int fd = child_ipc_fd();
  send_with_fds(fd, hello_frame(child_ipc_token()), {});
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 83;
  send_with_fds(
      fd,
      message_frame(
          post_message(MessageKind::kPostMessage, post_body(Value("port"), 1), "hostile-port"), 1),
      {sv[1]});
  ::close(sv[1]);
  const int port = sv[0];
  auto valid = message_frame(
      post_message(MessageKind::kPortMessage, post_body(Value::object({{"i", 0}}), 0), ""));
  send_with_fds(port, valid, {});
  if (what == "garbage") {
    std::string text = "GARBAGE! not a frame at all";
    send_with_fds(port, std::vector<std::uint8_t>(text.begin(), text.end()), {});
  } else if (what == "pipe_as_port") {
    send_with_fds(
        port,
        message_frame(post_message(MessageKind::kPortMessage, post_body(Value("x"), 1), ""), 1),
        {make_pipe_read_end()});
  } else if (what == "wrong_kind") {
    send_with_fds(port, message_frame(post_message(MessageKind::kMessage, Value::array({1}), "x")),
                  {});
  } else if (what == "fd_count_mismatch") {
    send_with_fds(
        port,
        message_frame(post_message(MessageKind::kPortMessage, post_body(Value("x"), 2), ""), 1),
        {make_stream_end()});
  } else if (what == "bad_v8") {
    // request id 0, empty channel, status 0, then a V8 header and an unknown tag.
    std::vector<std::uint8_t> f(transport::kFrameHeaderSize);
    std::vector<std::uint8_t> payload = {0, 0, 0, 0xFF, 0x0F, 0x01};
    transport::write_frame_header(f.data(), static_cast<std::uint32_t>(payload.size()),
                                  static_cast<std::uint8_t>(MessageKind::kPortMessage), 0);
    f.insert(f.end(), payload.begin(), payload.end());
    send_with_fds(port, f, {});
  } else if (what == "eof_mid_frame") {
    auto f = message_frame(post_message(MessageKind::kPortMessage, post_body(Value("xyz"), 0), ""));
    f.resize(f.size() - 2);
    send_with_fds(port, f, {});
    ::close(port);
  } else {
    return 97;
  }
  wait_to_be_killed();
}

class HostilePort : public PortsTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(HostilePort, ClosesOnlyThatPortAfterTheValidMessages) {
  std::vector<std::string> log;
  PortPtr port;
  ipc().on("hostile-port", [&](IpcMainEvent& e, Value) {
    port = e.ports.at(0);
    port->on_message([&](MessageEvent& m) {
      const Value* i = m.data.find("i");
      log.push_back(i ? std::to_string(i->get_int32()) : m.data.to_debug_string());
    });
    port->on_close([&] { log.push_back("close"); });
    port->start();
  });
  auto good = spawn_porter();
  const int fds_before = count_open_fds();
  auto bad = spawn("hostile_port", {GetParam()});
  ASSERT_TRUE(good && bad);
  ASSERT_TRUE(run_until([&] { return !log.empty() && log.back() == "close"; }, 15s))
      << "main's port got no close event; log size " << log.size();
  EXPECT_EQ(log, (std::vector<std::string>{"0", "close"}));
  EXPECT_TRUE(port->is_closed());
  // The port is not the IPC connection: the child is not reported for it.
  run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(events(bad).bad_messages.empty());
  // Main is fine: another child's port works.
  {
    auto ch = MessageChannelMain::create(loop());
    ASSERT_TRUE(ch);
    int echoes = 0;
    ch->port1->on_message([&](MessageEvent&) { ++echoes; });
    ch->port1->start();
    ASSERT_TRUE(give_port(good, ch->port2, "p", "echo"));
    ASSERT_TRUE(ch->port1->post_message(Value::object({{"i", 0}})));
    ASSERT_TRUE(run_until([&] { return echoes == 1; }));
    ch->port1->close();
    ASSERT_TRUE(wait_port_closed(good, "p"));
  }
  // Nothing of the junk stays open in main.
  port.reset();
  bad->kill();
  ASSERT_TRUE(wait_gone(bad));
  run_until([&] { return count_open_fds() <= fds_before; });
  EXPECT_EQ(count_open_fds(), fds_before);
}

INSTANTIATE_TEST_SUITE_P(Cases, HostilePort,
                         ::testing::Values("garbage", "pipe_as_port", "wrong_kind",
                                           "fd_count_mismatch", "bad_v8", "eof_mid_frame"),
                         [](const auto& tp) { return std::string(tp.param); });

}  // namespace
}  // namespace valence::ports_test
