// Hostile children cost only themselves. Each case is a real child process
// that writes raw bytes on its IPC socket (fd 3), instead of or after using
// IpcRenderer. Main must report it (on_bad_message, with a reason that names
// the problem), kill it (render-process-gone "killed"), keep serving another
// child, and leak no descriptor. And a flood of 1,000,000 well-formed
// messages is received whole, in order, while another child is served.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "ipc/common/protocol.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"

namespace valence::test {
namespace {

using Strings = std::vector<std::string>;
using ipc::MessageKind;

std::uint8_t kind(MessageKind k) {
  return static_cast<std::uint8_t>(k);
}

std::vector<std::uint8_t> args_message(const std::string& channel) {
  return message_frame(kind(MessageKind::kMessage), 0, channel, Value::array({1, "two"}));
}

void read_exactly(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) ::_exit(98);
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

// Reads main's answer to the Hello (one whole frame).
void read_welcome(int fd) {
  (void)transport::set_nonblocking(fd, false);
  std::uint8_t header[transport::kFrameHeaderSize];
  read_exactly(fd, header, sizeof header);
  std::size_t size = std::size_t{header[0]} | std::size_t{header[1]} << 8 |
                     std::size_t{header[2]} << 16 | std::size_t{header[3]} << 24;
  std::vector<std::uint8_t> payload(size);
  read_exactly(fd, payload.data(), size);
  if (header[4] != kind(MessageKind::kWelcome)) ::_exit(99);
}

// args[0]: the case.
VALENCE_CHILD_SCENARIO(hostile) {
  const std::string what = args.at(0);
  const int fd = child_ipc_fd();
  const std::string token = child_ipc_token();
  auto hello = [&] { write_or_exit(fd, hello_frame(token)); };
  if (what == "garbage") {
    std::string text = "GARBAGE! this is not a valence frame";
    write_or_exit(fd, std::vector<std::uint8_t>(text.begin(), text.end()));
  } else if (what == "wrong_version") {
    // A real IpcRenderer first (a full round trip), then a bad frame on its socket.
    auto c = connect_child();
    if (!c.ipc->invoke("ping").get()) ::_exit(94);
    auto f = args_message("ch");
    f[5] = 2;
    write_or_exit(fd, f);
    wait_to_be_killed();
  } else if (what == "lying_size_then_close") {
    hello();
    read_welcome(fd);  // nothing unread: the close below is a clean EOF, not a reset
    auto f = frame(kind(MessageKind::kMessage), std::vector<std::uint8_t>(10, 0xAB));
    transport::write_frame_header(f.data(), 1000, kind(MessageKind::kMessage), 0);
    write_or_exit(fd, f);
    ::close(fd);  // and stays alive
  } else if (what == "over_limit") {
    hello();
    write_or_exit(fd, frame(kind(MessageKind::kMessage), std::vector<std::uint8_t>(5000, 0)));
  } else if (what == "bad_v8") {
    hello();
    // request id 0, channel "ch", status 0, then a V8 header and an unknown tag.
    write_or_exit(fd, frame(kind(MessageKind::kMessage), {0, 2, 'c', 'h', 0, 0xFF, 0x0F, 0x01}));
  } else if (what == "before_hello") {
    write_or_exit(fd, args_message("ch"));
  } else if (what == "wrong_token") {
    write_or_exit(fd, hello_frame("not-the-token"));
  } else if (what == "second_hello") {
    hello();
    hello();
  } else if (what == "fds" || what == "undeclared_fds") {
    hello();
    auto f = args_message("ch");
    if (what == "fds") f[6] = 1;  // the header declares the descriptor
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) ::_exit(95);
    iovec iov{f.data(), f.size()};
    (void)transport::set_nonblocking(fd, false);
    auto sent =
        transport::send_some(fd, std::span<const iovec>(&iov, 1), std::span<const int>(p, 1));
    if (!sent || sent->bytes != f.size()) ::_exit(96);
  } else if (what == "reply_kind") {
    hello();
    write_or_exit(fd, message_frame(kind(MessageKind::kInvokeReply), 1, "ch", Value(1)));
  } else if (what == "unknown_kind") {
    hello();
    auto f = args_message("ch");
    f[4] = 99;
    write_or_exit(fd, f);
  } else if (what == "sparse_args") {
    hello();
    Array sparse;
    sparse.set_length(4294967295u);
    write_or_exit(fd,
                  message_frame(kind(MessageKind::kMessage), 0, "ch", Value(std::move(sparse))));
  } else if (what == "not_args") {
    hello();
    write_or_exit(fd, message_frame(kind(MessageKind::kInvoke), 1, "ch", Value("a string")));
  } else {
    return 97;
  }
  wait_to_be_killed();
}

enum Match { kExact, kPrefix };

struct HostileCase {
  const char* name;
  const char* reason;  // what follows "renderer N (pid P) sent a bad message: "
  Match match;         // kPrefix: details follow (a byte offset)
  std::size_t max_message_bytes;
};

void PrintTo(const HostileCase& c, std::ostream* os) {
  *os << c.name;
}

class HostileChild : public IpcTest, public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostileChild, IsReportedAndKilledAndCostsOnlyItself) {
  const HostileCase& c = GetParam();
  (void)ipc().handle("ping", [](IpcMainInvokeEvent&) { return "pong"; });
  Strings listener_calls;
  ipc().on("ch", [&](IpcMainEvent&) { listener_calls.push_back("ch"); });
  const int fds_before = count_open_fds();
  auto good = spawn_puppet();
  ChildOptions options;
  if (c.max_message_bytes) options.max_message_bytes = c.max_message_bytes;
  auto bad = spawn_no_wait("hostile", {c.name}, options);
  ASSERT_TRUE(bad);
  const bool reported = run_until([&] { return !events(bad).bad_messages.empty(); }, 10s);
  ASSERT_TRUE(reported) << "no on_bad_message within 10 s; render-process-gone: "
                        << (events(bad).gone ? events(bad).gone->reason : "(not yet)")
                        << "; is_connected(): " << bad->is_connected()
                        << "; messages that reached the 'ch' listener: " << listener_calls.size();
  ASSERT_TRUE(wait_gone(bad));
  const std::string prefix = "renderer " + std::to_string(bad->id()) + " (pid " +
                             std::to_string(bad->process_id()) + ") sent a bad message: ";
  ASSERT_EQ(events(bad).bad_messages.size(), 1u);
  const std::string& reason = events(bad).bad_messages[0];
  switch (c.match) {
    case kExact: EXPECT_EQ(reason, prefix + c.reason); break;
    case kPrefix: EXPECT_EQ(reason.rfind(prefix + c.reason, 0), 0u) << reason; break;
  }
  EXPECT_EQ(events(bad).gone->reason, "killed");
  EXPECT_EQ(events(bad).gone->signal, SIGKILL);
  EXPECT_EQ(events(bad).log, (Strings{"bad-message", "gone"}));
  EXPECT_TRUE(listener_calls.empty()) << "a bad message reached a listener";

  // The other child keeps working.
  Value r = await_result(invoke(good, "then", "ping"));
  EXPECT_EQ(report_value(r), Value("pong")) << report_message(r);
  EXPECT_TRUE(events(good).bad_messages.empty());
  EXPECT_FALSE(events(good).gone.has_value());

  // No descriptor left behind (those the hostile child sent included).
  good->kill();
  ASSERT_TRUE(wait_gone(good));
  ASSERT_TRUE(wait_all_hosts_removed());
  EXPECT_EQ(count_open_fds(), fds_before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileChild,
    ::testing::Values(
        HostileCase{"garbage",
                    "malformed data: frame header version 71 (expected 1): not a valence peer, or "
                    "corrupt data",
                    kExact, 0},
        HostileCase{"wrong_version",
                    "malformed data: frame header version 2 (expected 1): not a valence peer, or "
                    "corrupt data",
                    kExact, 0},
        // The socket closed mid-frame while the process lives on.
        HostileCase{"lying_size_then_close",
                    "malformed data: the peer closed the connection in the middle of a frame (18 "
                    "bytes unread)",
                    kExact, 0},
        HostileCase{"over_limit", "malformed data: frame of 5000 bytes exceeds the limit of 4096",
                    kExact, 4096},
        HostileCase{"bad_v8", "Message 'ch': invalid V8 serialized data at byte ", kPrefix, 0},
        HostileCase{"before_hello", "Message before Hello", kExact, 0},
        HostileCase{"wrong_token", "Hello with a wrong token", kExact, 0},
        HostileCase{"second_hello", "unexpected Hello from a renderer", kExact, 0},
        HostileCase{"fds", "1 unexpected descriptors with a frame of kind 3", kExact, 0},
        // A descriptor sent with a frame whose header declares none.
        HostileCase{"undeclared_fds",
                    "malformed data: 1 descriptors arrived that no frame declares", kExact, 0},
        HostileCase{"reply_kind", "unexpected InvokeReply from a renderer", kExact, 0},
        HostileCase{"unknown_kind", "unknown message kind 99", kExact, 0},
        HostileCase{"sparse_args", "'ch': 4294967295 arguments (limit 65536)", kExact, 0},
        HostileCase{"not_args", "'ch': arguments are string, not an array", kExact, 0}),
    [](const auto& tp) { return std::string(tp.param.name); });

// ---- a child that stops reading ----------------------------------------------------

TEST_F(IpcTest, SendsToAChildThatStopsReadingFailOnceMainsQueueLimitIsHit) {
  bool ready = false;
  ipc().on("deaf-ready", [&](IpcMainEvent&) { ready = true; });
  std::vector<std::string> reports;
  ipc().set_error_reporter([&](const std::string& e) { reports.push_back(e); });
  ChildOptions options;
  options.max_queued_bytes = std::size_t{1} << 20;
  auto deaf = spawn("deaf", {}, options);  // process_test.cc: never reads
  ASSERT_TRUE(run_until([&] { return ready; }));
  const std::string chunk(64 * 1024, 'x');
  int accepted = 0;
  while (accepted < 10000 && deaf->send("big", chunk)) {
    ++accepted;
    loop().run_once(std::chrono::nanoseconds(0));
  }
  ASSERT_LT(accepted, 10000) << "main kept queueing for a child that does not read";
  // At most the queue limit plus what the kernel buffers (a few MiB).
  EXPECT_LE(static_cast<std::size_t>(accepted) * chunk.size(), std::size_t{16} << 20);
  // The refused send is reported, naming the channel and the child; the
  // child keeps its connection (it may read later).
  ASSERT_FALSE(reports.empty());
  EXPECT_NE(reports.back().find("RendererMessage 'big': to renderer "), std::string::npos)
      << reports.back();
  EXPECT_NE(reports.back().find("the peer is not reading: "), std::string::npos) << reports.back();
  EXPECT_TRUE(deaf->is_connected());
  EXPECT_TRUE(events(deaf).bad_messages.empty());
}

// ---- the flood -------------------------------------------------------------------

constexpr int kFlood = 1000000;

VALENCE_CHILD_SCENARIO(flood) {
  auto c = connect_child();
  for (int i = 0; i < kFlood; ++i) {
    c.ipc->send("flood", i);
    if (i % 4096 == 4095) c.loop->run_once(std::chrono::nanoseconds(0));  // write what fits
  }
  c.ipc->send("flood-done", kFlood);
  c.loop->run();
  return 0;
}

// Invokes "ping" forever, one after the other.
VALENCE_CHILD_SCENARIO(pinger) {
  auto c = connect_child();
  int n = 0;
  std::function<void()> next = [&] {
    c.ipc->invoke("ping", n++).then([&](Result<Value> r) {
      if (r) next();
    });
  };
  next();
  c.loop->run();
  return 0;
}

TEST_F(IpcTest, AFloodOfAMillionMessagesArrivesWholeInOrderWhileAnotherChildIsServed) {
  int received = 0, out_of_order = 0, done_total = -1;
  ipc().on("flood", [&](IpcMainEvent&, int i) {
    if (i != received) ++out_of_order;
    ++received;
  });
  ipc().on("flood-done", [&](IpcMainEvent&, int n) { done_total = n; });
  int pings = 0, pings_during_flood = 0;
  (void)ipc().handle("ping", [&](IpcMainInvokeEvent&, int) {
    ++pings;
    if (received > 0 && done_total < 0) ++pings_during_flood;
    return "pong";
  });
  auto good = spawn("pinger");
  ASSERT_TRUE(run_until([&] { return pings >= 3; }));
  auto flood = spawn("flood");
  // Only a guard against a hang (ctest's limit for it is 300 s): an ASan build
  // beside a compile once took over 100 s.
  ASSERT_TRUE(run_until([&] { return done_total >= 0; }, 250s))
      << received << " of " << kFlood << " messages in 250 s";
  RecordProperty("pings_during_flood", pings_during_flood);
  EXPECT_EQ(received, kFlood);
  EXPECT_EQ(done_total, kFlood);
  EXPECT_EQ(out_of_order, 0);
  // Counted against the flood's progress (pings answered after its first
  // message and before its last), not per second: a busy machine slows
  // both children alike.
  EXPECT_GE(pings_during_flood, 2) << "the other child was starved during the flood";
  EXPECT_TRUE(events(flood).bad_messages.empty());
  EXPECT_TRUE(events(good).bad_messages.empty());
  EXPECT_FALSE(events(flood).gone.has_value());
  EXPECT_FALSE(events(good).gone.has_value());
}

}  // namespace
}  // namespace valence::test
