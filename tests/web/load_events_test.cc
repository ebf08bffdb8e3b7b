// did-finish-load, did-fail-load and ready-to-show as Electron fires them:
// a load ends with exactly one of did-finish-load (it succeeded) or
// did-fail-load (it failed or was cancelled), with Chromium's net error codes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "harness.h"

namespace valence::test {
namespace {

// A TCP socket on 127.0.0.1; listening (connections wait, unanswered) or
// closed again (its port refuses connections).
struct LocalPort {
  int fd = -1;
  int port = 0;
  explicit LocalPort(bool listening) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port = ntohs(address.sin_port);
    if (listening) {
      EXPECT_EQ(::listen(fd, 16), 0);
    } else {
      ::close(fd);
      fd = -1;
    }
  }
  ~LocalPort() {
    if (fd >= 0) ::close(fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
};

class LoadEventsTest : public WebTest {
 protected:
  // Counts a window's load events from now on.
  struct Events {
    int finished = 0;
    std::vector<DidFailLoadDetails> failed;
    std::vector<std::string> order;
  };
  std::shared_ptr<Events> watch(const std::shared_ptr<BrowserWindow>& win) {
    auto events = std::make_shared<Events>();
    win->web_contents()->on_did_finish_load([events] {
      ++events->finished;
      events->order.push_back("finish");
    });
    win->web_contents()->on_did_fail_load([events](const DidFailLoadDetails& details) {
      events->failed.push_back(details);
      events->order.push_back("fail " + details.validated_url);
    });
    return events;
  }
  // Loads `url` and waits for its did-fail-load; returns it.
  DidFailLoadDetails expect_failure(const std::shared_ptr<BrowserWindow>& win,
                                    const std::shared_ptr<Events>& events, const std::string& url) {
    std::size_t before = events->failed.size();
    EXPECT_TRUE(win->load_url(url));
    EXPECT_TRUE(wait_for([&] { return events->failed.size() > before; }))
        << "no did-fail-load for " << url;
    // Long enough for a stray did-finish-load (WebKit's error page) to come.
    pump(std::chrono::milliseconds(500));
    EXPECT_EQ(events->finished, 0) << "did-finish-load fired for the failed load of " << url;
    EXPECT_EQ(events->failed.size(), before + 1) << url;
    return events->failed.size() > before ? events->failed[before] : DidFailLoadDetails{};
  }
  std::string page_text(const std::shared_ptr<BrowserWindow>& win) {
    return eval(win, "document.body ? document.body.textContent : ''").to_debug_string();
  }
};

TEST_F(LoadEventsTest, AMissingFileFailsWithErrFileNotFound) {
  auto win = open("", "<p>first</p>");
  auto events = watch(win);
  const std::string url = "file:///nonexistent/valence/x.html";
  DidFailLoadDetails failure = expect_failure(win, events, url);
  EXPECT_EQ(failure.error_code, -6);
  EXPECT_EQ(failure.error_description, "ERR_FILE_NOT_FOUND");
  EXPECT_EQ(failure.validated_url, url);
  EXPECT_TRUE(failure.is_main_frame);
  // The page that was there stays, and still answers.
  EXPECT_EQ(page_text(win), "\"first\"");

  // A later load that works fires did-finish-load, once.
  std::string good = scratch_dir() + "/second.html";
  { std::ofstream(good) << "<p>second</p>"; }
  ASSERT_TRUE(win->load_file(good));
  ASSERT_TRUE(wait_for([&] { return events->finished == 1; }));
  pump(std::chrono::milliseconds(300));
  EXPECT_EQ(events->finished, 1);
  EXPECT_EQ(events->failed.size(), 1u);
  EXPECT_EQ(page_text(win), "\"second\"");
}

TEST_F(LoadEventsTest, ARefusedConnectionFailsWithErrConnectionRefused) {
  auto win = open("", "<p>first</p>");
  auto events = watch(win);
  LocalPort closed(false);
  DidFailLoadDetails failure = expect_failure(win, events, closed.url());
  EXPECT_EQ(failure.error_code, -102);
  EXPECT_EQ(failure.error_description, "ERR_CONNECTION_REFUSED");
  EXPECT_EQ(failure.validated_url, closed.url());
}

TEST_F(LoadEventsTest, ABadPortFailsWithErrUnsafePort) {
  // WebKit, as Chromium, does not load port 1; Chromium says so.
  auto win = open("", "<p>first</p>");
  auto events = watch(win);
  DidFailLoadDetails failure = expect_failure(win, events, "http://127.0.0.1:1/");
  EXPECT_EQ(failure.error_code, -312);
  EXPECT_EQ(failure.error_description, "ERR_UNSAFE_PORT");
  EXPECT_EQ(failure.validated_url, "http://127.0.0.1:1/");
  EXPECT_EQ(page_text(win), "\"first\"");
}

TEST_F(LoadEventsTest, AnUnknownSchemeFailsWithErrUnknownUrlScheme) {
  auto win = open("", "<p>first</p>");
  auto events = watch(win);
  DidFailLoadDetails failure = expect_failure(win, events, "nosuchscheme://x/");
  EXPECT_EQ(failure.error_code, -302);
  EXPECT_EQ(failure.error_description, "ERR_UNKNOWN_URL_SCHEME");
}

TEST_F(LoadEventsTest, ANewerLoadCancelsTheOlderWithErrAborted) {
  auto win = open("", "<p>first</p>");
  auto events = watch(win);
  LocalPort silent(true);  // accepts, never answers: the load waits
  ASSERT_TRUE(win->load_url(silent.url()));
  pump(std::chrono::milliseconds(300));
  EXPECT_TRUE(events->order.empty());
  std::string good = scratch_dir() + "/after.html";
  { std::ofstream(good) << "<p>after</p>"; }
  ASSERT_TRUE(win->load_file(good));
  ASSERT_TRUE(wait_for([&] { return events->finished == 1; }));
  ASSERT_EQ(events->failed.size(), 1u);
  EXPECT_EQ(events->failed[0].error_code, -3);
  EXPECT_EQ(events->failed[0].error_description, "ERR_ABORTED");
  EXPECT_EQ(events->failed[0].validated_url, silent.url());
  ASSERT_EQ(events->order.size(), 2u);
  EXPECT_EQ(events->order[0], "fail " + silent.url()) << "the cancelled load ends first";
  EXPECT_EQ(events->order[1], "finish");
  EXPECT_EQ(page_text(win), "\"after\"");
}

TEST_F(LoadEventsTest, AFailedFirstLoadStillFiresReadyToShow) {
  for (const std::string url : {"file:///nonexistent/valence/first.html", "http://127.0.0.1:1/"}) {
    BrowserWindowOptions options;
    options.show = false;
    auto created = BrowserWindow::create(app(), options);
    ASSERT_TRUE(created);
    auto win = *created;
    auto events = watch(win);
    bool ready = false;
    win->on_ready_to_show([&] { ready = true; });
    ASSERT_TRUE(win->load_url(url));
    EXPECT_TRUE(wait_for([&] { return ready && !events->failed.empty(); })) << url;
    pump(std::chrono::milliseconds(300));
    EXPECT_EQ(events->finished, 0) << url;
    EXPECT_EQ(events->failed.size(), 1u) << url;
    EXPECT_FALSE(win->is_visible()) << "ready-to-show does not show the window itself";
    win->destroy();
  }
}

TEST_F(LoadEventsTest, ReadyToShowFiresOnceForTheFirstLoad) {
  BrowserWindowOptions options;
  options.show = false;
  auto created = BrowserWindow::create(app(), options);
  ASSERT_TRUE(created);
  auto win = *created;
  auto events = watch(win);
  int ready = 0;
  win->on_ready_to_show([&] { ++ready; });
  std::string page = scratch_dir() + "/page.html";
  { std::ofstream(page) << "<p>page</p>"; }
  ASSERT_TRUE(win->load_file(page));
  ASSERT_TRUE(wait_for([&] { return events->finished == 1; }));
  EXPECT_EQ(ready, 1);
  ASSERT_TRUE(win->load_url("file:///nonexistent/valence/again.html"));
  ASSERT_TRUE(wait_for([&] { return events->failed.size() == 1; }));
  ASSERT_TRUE(win->load_file(page));
  ASSERT_TRUE(wait_for([&] { return events->finished == 2; }));
  EXPECT_EQ(ready, 1);
  win->destroy();
}

}  // namespace
}  // namespace valence::test
