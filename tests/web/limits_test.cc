// Limits that make sense together: any message within the frame limit
// (1 GiB) can be sent either way, whatever was sent before it; a message
// over it fails that one call with a clear error in the caller, and the
// connection stays up.
#include <cstring>
#include <string>

#include "harness.h"

namespace valence::test {
namespace {

const char* kPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
const sizes = []
ipcRenderer.on('big', (event, bytes) => { sizes.push(bytes.byteLength) })
contextBridge.exposeInMainWorld('api', {
  sendBytes: (channel, n) => ipcRenderer.send(channel, new Uint8Array(n)),
  trySendBytes: (channel, n) => {
    try { ipcRenderer.send(channel, new Uint8Array(n)); return 'sent' } catch (e) { return e.message }
  },
  send: (channel, ...args) => ipcRenderer.send(channel, ...args),
  sizes: () => sizes.slice(),
})
)JS";

const char* kPage = "<!DOCTYPE html><html><body>limits</body></html>";

constexpr std::size_t kMiB = std::size_t{1} << 20;

Value bytes_of_size(std::size_t n) {
  Bytes bytes(n);
  std::memset(bytes.data(), 7, n);
  return Value(View(ViewKind::kUint8Array, std::move(bytes)));
}

class LimitsTest : public WebTest {};

TEST_F(LimitsTest, APageThatSentHundredsOfMegabytesKeepsItsIpc) {
  auto win = open(kPreload, kPage);
  std::vector<std::size_t> got;
  ipc().on("big", [&](IpcMainEvent&, const std::vector<Value>& args) {
    got.push_back(args.at(0).get_view().byte_length());
  });
  bool after = false;
  ipc().on("after", [&](IpcMainEvent&) { after = true; });
  eval(win, "api.sendBytes('big', 300 * 1024 * 1024); api.send('after'); 1");
  ASSERT_TRUE(wait_for([&] { return after; }, std::chrono::seconds(60)));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], 300 * kMiB);
}

TEST_F(LimitsTest, MainSendsAPageTwoMessagesOf300MiB) {
  auto win = open(kPreload, kPage);
  std::vector<std::string> bad;
  win->web_contents()->on_bad_message([&](const std::string& r) { bad.push_back(r); });
  ASSERT_TRUE(win->web_contents()->send("big", bytes_of_size(300 * kMiB)));
  ASSERT_TRUE(win->web_contents()->send("big", bytes_of_size(300 * kMiB)));
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.sizes().length").get_number() == 2; },
                       std::chrono::seconds(60)));
  EXPECT_EQ(eval(win, "api.sizes().join()").get_string(), "314572800,314572800");
  EXPECT_TRUE(bad.empty()) << bad[0];
  EXPECT_TRUE(win->web_contents()->is_connected());
}

TEST_F(LimitsTest, AMessageOverTheLimitFailsThatCallAlone) {
  auto win = open(kPreload, kPage);
  std::vector<std::string> reports;
  ipc().set_error_reporter([&](const std::string& e) { reports.push_back(e); });
  // From the page: the call throws, saying where and why.
  Value r = eval(win, "api.trySendBytes('huge', 1024 * 1024 * 1024 + 1)");
  EXPECT_EQ(r.get_string().rfind("ipcRenderer.send('huge'): a message of ", 0), 0u)
      << r.get_string();
  EXPECT_NE(r.get_string().find(" bytes is over the limit of 1073741824 bytes"), std::string::npos)
      << r.get_string();
  bool after = false;
  ipc().on("after", [&](IpcMainEvent&) { after = true; });
  eval(win, "api.send('after'); 1");
  EXPECT_TRUE(wait_for([&] { return after; })) << "the page lost its IPC";
  // From main: send() is false, the reporter says why, and the page still
  // gets what follows.
  EXPECT_FALSE(win->web_contents()->send("big", bytes_of_size(1024 * kMiB + 1)));
  ASSERT_FALSE(reports.empty());
  EXPECT_NE(reports.back().find("RendererMessage 'big': to page "), std::string::npos)
      << reports.back();
  EXPECT_NE(reports.back().find("is over the limit of 1073741824 bytes"), std::string::npos)
      << reports.back();
  ASSERT_TRUE(win->web_contents()->send("big", bytes_of_size(10)));
  EXPECT_TRUE(wait_for([&] { return eval(win, "api.sizes().join()").get_string() == "10"; }));
}

}  // namespace
}  // namespace valence::test
