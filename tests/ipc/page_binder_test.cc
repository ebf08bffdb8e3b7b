// PageBinder without GTK: which window a page connection belongs to. Main's
// side is real (this test's MainProcess, its PageBinder and ChildHosts on
// this test's loop); a page is the other end of a socketpair, written and
// read in raw frames as the web extension does, and the ui layer's part
// (WebKit vouching for a nonce on a view's own channel) is a direct
// confirm(). A process is real wherever its pid matters.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "harness.h"
#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "ipc/main/main_process_impl.h"
#include "ipc/main/web_contents_impl.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"

namespace valence::test {
namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

std::string nonce(char c) {
  return std::string(32, c);
}

std::vector<std::uint8_t> page_message(const std::string& channel, Value arg) {
  return message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kMessage), 0, channel,
                       Value::array({std::move(arg)}));
}

// What a window gives its page's WebContents; this test has no window, and
// binding needs none: only a page (a WebContents with one) queues sends
// made before its connection is bound.
struct NoWindow final : ipc::WebContentsImpl::Page {
  void terminate() override {}
  Future<Value> execute_javascript(std::string) override {
    return Future<Value>::ready(make_error(ErrorCode::kFailed, "no window"));
  }
  void toggle_dev_tools() override {}
  bool dev_tools_open() const override { return false; }
};

class PageBinderTest : public IpcTest {
 protected:
  void SetUp() override {
    ipc().set_error_reporter([this](const std::string& e) { reports.push_back(e); });
    pages().add_token(kToken);
  }
  ipc::MainProcessImpl& impl() { return ipc::MainProcessImpl::from(*main_process); }
  ipc::PageBinder& pages() { return impl().pages(); }

  // A page connection from process `pid`: main adopts one end (as PageServer
  // does after SO_PEERCRED), the test plays the page on the other.
  UniqueFd connect(int pid = static_cast<int>(::getpid())) {
    auto pair = transport::make_socket_pair();
    EXPECT_TRUE(pair) << pair.error().message;
    pages().adopt(std::move(pair->first), pid);
    return std::move(pair->second);
  }
  bool send(int fd, const std::vector<std::uint8_t>& bytes) {
    return write_all(fd, bytes, event_loop.get());
  }
  // Says Hello and waits until main has read it (the connection is then
  // admitted and waits for its page, or refused).
  void hello(int fd, const std::string& token, const std::string& n) {
    std::size_t before = pages().pending();
    ASSERT_TRUE(send(fd, page_hello_frame(token, n)));
    ASSERT_TRUE(run_until([&] { return pages().pending() < before; }));
  }

  // The next message main sent on `fd`, read while the loop runs; nothing
  // when main closed the connection or none came within the patience.
  std::optional<ipc::Message> next_message(int fd) {
    std::vector<std::uint8_t>& in = inbox_[fd];
    std::optional<ipc::Message> out;
    bool closed = false;
    auto whole = [&] {
      if (in.size() < transport::kFrameHeaderSize) return false;
      std::uint32_t size;
      std::memcpy(&size, in.data(), 4);
      return in.size() >= transport::kFrameHeaderSize + size;
    };
    run_until([&] {
      while (!whole()) {
        std::uint8_t buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          in.insert(in.end(), buf, buf + n);
          continue;
        }
        closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        return closed;
      }
      std::uint32_t size;
      std::memcpy(&size, in.data(), 4);
      std::span<const std::uint8_t> payload(in.data() + transport::kFrameHeaderSize, size);
      auto m = ipc::decode_message(in[4], payload);
      EXPECT_TRUE(m) << m.error().message;
      if (m) out = std::move(m).value();
      in.erase(in.begin(),
               in.begin() + static_cast<std::ptrdiff_t>(transport::kFrameHeaderSize + size));
      return true;
    });
    return out;
  }
  // True when main closed `fd` (what it sent before is skipped).
  bool closed_by_main(int fd) {
    for (int i = 0; i < 16; ++i)
      if (!next_message(fd)) return true;
    return false;
  }
  // Welcome{id, pid} for `contents` is the next message on `fd`.
  void expect_welcome(int fd, const WebContents& contents, int pid) {
    auto m = next_message(fd);
    ASSERT_TRUE(m) << "no Welcome";
    EXPECT_EQ(m->kind, ipc::MessageKind::kWelcome);
    const Value* id = m->body.is_object() ? m->body.get_object().find("id") : nullptr;
    const Value* p = m->body.is_object() ? m->body.get_object().find("pid") : nullptr;
    ASSERT_TRUE(id && p) << m->body.to_debug_string();
    EXPECT_EQ(id->get_number(), contents.id());
    EXPECT_EQ(p->get_number(), pid);
  }
  std::size_t reports_containing(const std::string& s) const {
    std::size_t n = 0;
    for (const auto& r : reports)
      if (r.find(s) != std::string::npos) ++n;
    return n;
  }

  std::vector<std::string> reports;

 private:
  std::map<int, std::vector<std::uint8_t>> inbox_;
};

TEST_F(PageBinderTest, HelloThenConfirmationBindsTheConnectionToThatWindow) {
  auto contents = impl().create_page_contents();
  UniqueFd fd = connect();
  hello(fd.get(), kToken, nonce('a'));
  run_for(20ms);
  EXPECT_FALSE(contents->is_connected()) << "bound before WebKit vouched for the page";
  pages().confirm(nonce('a'), contents);
  expect_welcome(fd.get(), *contents, ::getpid());
  EXPECT_TRUE(contents->is_connected());
  EXPECT_EQ(contents->process_id(), ::getpid());
  EXPECT_TRUE(reports.empty()) << reports.front();
}

TEST_F(PageBinderTest, AConfirmationBeforeTheHelloBindsOnTheHello) {
  auto contents = impl().create_page_contents();
  pages().confirm(nonce('a'), contents);
  UniqueFd fd = connect();
  hello(fd.get(), kToken, nonce('a'));
  expect_welcome(fd.get(), *contents, ::getpid());
  EXPECT_TRUE(contents->is_connected());
}

TEST_F(PageBinderTest, AConfirmedNonceBindsOnlyItsOwnConnection) {
  auto first = impl().create_page_contents();
  auto second = impl().create_page_contents();
  UniqueFd a = connect();
  UniqueFd b = connect();
  hello(a.get(), kToken, nonce('a'));
  hello(b.get(), kToken, nonce('b'));
  pages().confirm(nonce('b'), second);
  expect_welcome(b.get(), *second, ::getpid());
  EXPECT_FALSE(first->is_connected());
  pages().confirm(nonce('a'), first);
  expect_welcome(a.get(), *first, ::getpid());
}

TEST_F(PageBinderTest, WhatThePageSentBeforeBindingWaitsAndArrivesInOrder) {
  std::vector<std::string> early;
  std::shared_ptr<WebContents> sender;
  ipc().on("early", [&](IpcMainEvent& e, std::string s) {
    early.push_back(s);
    sender = e.sender;
  });
  auto contents = impl().create_page_contents();
  UniqueFd fd = connect();
  hello(fd.get(), kToken, nonce('a'));
  for (const char* s : {"one", "two", "three"})
    ASSERT_TRUE(send(fd.get(), page_message("early", s)));
  run_for(50ms);
  EXPECT_TRUE(early.empty()) << "an unbound page reached a listener";
  pages().confirm(nonce('a'), contents);
  ASSERT_TRUE(run_until([&] { return early.size() == 3; }));
  EXPECT_EQ(early, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(sender, std::shared_ptr<WebContents>(contents));
}

TEST_F(PageBinderTest, TheAppsSendsBeforeBindingFollowTheWelcome) {
  NoWindow window;
  auto contents = impl().create_page_contents();
  contents->set_page(&window);
  EXPECT_TRUE(contents->send("queued", 1));
  EXPECT_TRUE(contents->send("queued", 2));
  UniqueFd fd = connect();
  hello(fd.get(), kToken, nonce('a'));
  pages().confirm(nonce('a'), contents);
  expect_welcome(fd.get(), *contents, ::getpid());
  for (int i : {1, 2}) {
    auto m = next_message(fd.get());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, ipc::MessageKind::kRendererMessage);
    EXPECT_EQ(m->channel, "queued");
    auto args = ipc::take_args(m->body, m->body_has_refs);
    ASSERT_TRUE(args && args->size() == 1);
    EXPECT_EQ((*args)[0].get_number(), i);
  }
  contents->set_page(nullptr);
}

TEST_F(PageBinderTest, ANewerConnectionOfThePageReplacesTheOlder) {
  auto contents = impl().create_page_contents();
  UniqueFd old = connect();
  hello(old.get(), kToken, nonce('a'));
  pages().confirm(nonce('a'), contents);
  expect_welcome(old.get(), *contents, ::getpid());
  // Its web process crashed; WebKit starts another and the page connects again.
  contents->emit_render_process_gone({.reason = "crashed", .exit_code = -1, .signal = -1});
  EXPECT_TRUE(contents->is_crashed());
  UniqueFd fresh = connect();
  hello(fresh.get(), kToken, nonce('b'));
  pages().confirm(nonce('b'), contents);
  EXPECT_TRUE(closed_by_main(old.get())) << "the page kept two connections";
  expect_welcome(fresh.get(), *contents, ::getpid());
  EXPECT_FALSE(contents->is_crashed());
  EXPECT_TRUE(contents->is_connected());
  ASSERT_TRUE(run_until([&] { return pages().connections() == 1; }));
}

TEST_F(PageBinderTest, OneNonceWaitsPerPage) {
  // A web process that floods its view with nonces replaces its own.
  auto contents = impl().create_page_contents();
  pages().confirm(nonce('a'), contents);
  pages().confirm(nonce('b'), contents);
  UniqueFd stale = connect();
  hello(stale.get(), kToken, nonce('a'));
  run_for(20ms);
  EXPECT_FALSE(contents->is_connected()) << "a replaced nonce still bound its connection";
  UniqueFd current = connect();
  hello(current.get(), kToken, nonce('b'));
  expect_welcome(current.get(), *contents, ::getpid());
}

TEST_F(PageBinderTest, AConfirmationForAWindowThatIsGoneBindsNothing) {
  auto contents = impl().create_page_contents();
  pages().confirm(nonce('a'), contents);
  contents.reset();
  UniqueFd fd = connect();
  hello(fd.get(), kToken, nonce('a'));
  run_for(20ms);
  EXPECT_EQ(pages().connections(), 1u);
  EXPECT_EQ(pages().pending(), 0u);
  EXPECT_TRUE(reports.empty()) << reports.front();
}

TEST_F(PageBinderTest, AHelloWithoutAValidNonceOrTokenIsRefusedAndReported) {
  struct Case {
    std::string token, nonce, reason;
  };
  for (const Case& c :
       {Case{kToken, "short", "Hello without a page nonce"},
        Case{"another-token-another-token-anot", nonce('a'), "Hello with a wrong token"}}) {
    UniqueFd fd = connect();
    hello(fd.get(), c.token, c.nonce);
    EXPECT_TRUE(closed_by_main(fd.get())) << c.reason;
    EXPECT_EQ(reports_containing(c.reason), 1u) << c.reason;
  }
  ASSERT_TRUE(run_until([&] { return pages().connections() == 0; }));
}

TEST_F(PageBinderTest, ATokenIsBoundToTheFirstProcessThatUsesItAndDiesWithIt) {
  // A real process for the token's owner: its pid is what the kernel would
  // report for its connection, and its end is what frees the token.
  int hold[2];
  ASSERT_EQ(::pipe(hold), 0);
  pid_t owner = ::fork();
  if (owner == 0) {
    ::close(hold[1]);
    char c;
    (void)!::read(hold[0], &c, 1);
    ::_exit(0);
  }
  ::close(hold[0]);
  UniqueFd first = connect(owner);
  hello(first.get(), kToken, nonce('a'));
  EXPECT_EQ(pages().connections(), 1u);
  // This process is another one: refused, and told whose token it is.
  UniqueFd second = connect();
  hello(second.get(), kToken, nonce('b'));
  EXPECT_TRUE(closed_by_main(second.get()));
  EXPECT_EQ(reports_containing("Hello with the token of another process (pid " +
                               std::to_string(owner) + ")"),
            1u);
  // The owner ends: its token goes with it (main learns it from the loop).
  ::close(hold[1]);
  int status;
  ASSERT_EQ(::waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(run_until([&] {
    UniqueFd fd = connect();
    hello(fd.get(), kToken, nonce('c'));
    closed_by_main(fd.get());
    return reports_containing("Hello with a wrong token") == 1;
  }));
}

TEST_F(PageBinderTest, AWebProcessHasAtMost32ConnectionsWaitingForTheirPages) {
  std::vector<UniqueFd> fds;
  for (std::size_t i = 0; i < ipc::kMaxUnboundPerToken + 1; ++i) {
    fds.push_back(connect());
    hello(fds.back().get(), kToken, std::string(30, 'c') + std::to_string(10 + i));
  }
  EXPECT_TRUE(closed_by_main(fds.back().get()));
  EXPECT_EQ(reports_containing("more than 32 connections of one web process wait for their pages"),
            1u);
  // The others still wait, and each binds to its own page.
  auto contents = impl().create_page_contents();
  pages().confirm(std::string(30, 'c') + "10", contents);
  expect_welcome(fds.front().get(), *contents, ::getpid());
}

}  // namespace
}  // namespace valence::test
