// A compromised web process (hostile_extension.cc replaces the extension in
// every web process of this test, and attacks from pages whose address says
// "hostile"): main keeps every other window safe and serving, binds nothing
// of the hostile process to another window, refuses its token in another
// process, and does not grow with its floods.
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "support/fds.h"

#ifndef VALENCE_HOSTILE_EXTENSION_DIR
#define VALENCE_HOSTILE_EXTENSION_DIR ""
#endif

namespace valence::test {
namespace {

// Before the App (and its WebKit context) exists.
[[maybe_unused]] const bool g_replaced =
    ::setenv("VALENCE_WEB_EXTENSION_DIR", VALENCE_HOSTILE_EXTENSION_DIR, 1) == 0;

const char* kPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
contextBridge.exposeInMainWorld('api', { send: (ch, ...a) => ipcRenderer.send(ch, ...a) })
)JS";
const char* kPage = "<!DOCTYPE html><html><body>page</body></html>";

class CompromisedTest : public WebTest {};

TEST_F(CompromisedTest, ACompromisedWebProcessCostsOnlyItsOwnWindow) {
#ifdef VALENCE_SANITIZED
  GTEST_SKIP() << "the hostile module cannot be loaded by WebKit from a sanitizer build";
#endif
  std::vector<std::string> reports;
  ipc().set_error_reporter([&](const std::string& e) { reports.push_back(e); });
  // Every event main dispatches, with the window it names.
  std::vector<std::pair<std::string, std::shared_ptr<WebContents>>> events;
  std::vector<std::pair<std::string, int>> pids;
  for (const char* channel : {"alive", "hostile-done"}) {
    ipc().on(channel, [&, channel](IpcMainEvent& e) {
      events.emplace_back(channel, e.sender);
      pids.emplace_back(channel, e.process_id);
    });
  }
  auto good = open(kPreload, kPage);
  auto bad = open(kPreload, kPage, {{"hostile.html", kPage}});
  long rss_before = rss_kib();
  // The hostile page loads in its window: its process attacks.
  std::string url = bad->get_url();
  ASSERT_TRUE(bad->load_file(url.substr(7, url.rfind('/') - 7) + "/hostile.html"));
  ASSERT_TRUE(wait_for(
      [&] {
        for (auto& [channel, sender] : events)
          if (channel == "hostile-done") return true;
        return false;
      },
      std::chrono::seconds(30)))
      << "the hostile module did not run (is it loaded?)";
  pump(std::chrono::milliseconds(300));
  ASSERT_NE(good->web_contents()->process_id(), bad->web_contents()->process_id())
      << "the two windows share a web process: the test proves nothing";
  // The other window keeps working, and is the only one its events name.
  eval(good, "api.send('alive'); 1");
  ASSERT_TRUE(wait_for([&] {
    for (auto& [channel, sender] : events)
      if (channel == "alive") return true;
    return false;
  }));
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& [channel, sender] = events[i];
    if (channel == "hostile-done") {
      EXPECT_EQ(sender, bad->web_contents()) << "the hostile process spoke as another window";
    } else {
      EXPECT_EQ(sender, good->web_contents());
      EXPECT_EQ(pids[i].second, good->web_contents()->process_id());
    }
  }
  // Its token was refused in another process.
  bool refused = false;
  for (const auto& r : reports)
    if (r.find("Hello with the token of another process") != std::string::npos) refused = true;
  EXPECT_TRUE(refused) << "the token worked from another process";
  // Ten thousand made-up nonces cost main nothing lasting.
  EXPECT_LT(rss_kib() - rss_before, 32 * 1024);
}

}  // namespace
}  // namespace valence::test
