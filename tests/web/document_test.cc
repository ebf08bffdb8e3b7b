// A page's documents and the preload: each document gets one runtime and
// one run of the preload; re-initialisations of the same document
// (document.open) get neither a second copy nor a broken one; what an old
// document asked for never answers a new one.
#include <string>

#include "harness.h"

namespace valence::test {
namespace {

// `var` and function declarations only: a second run of this preload in the
// same world succeeds, and adds a second listener.
const char* kVarPreload = R"JS(
var electron = require('electron')
var received = []
globalThis.__preloadRuns = (globalThis.__preloadRuns || 0) + 1
function onToPage(event, value) { received.push(value) }
electron.ipcRenderer.on('to-page', onToPage)
if (!('api' in window)) {
  electron.contextBridge.exposeInMainWorld('api', {
    received: () => received,
    send: (ch, ...a) => electron.ipcRenderer.send(ch, ...a),
  })
}
)JS";

// Top-level `const`, `let` and `class`: a second run in the same world
// throws at once (a redeclaration), before any of it runs.
const char* kConstPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
let runs = (globalThis.__preloadRuns || 0) + 1
globalThis.__preloadRuns = runs
class Helper {}
ipcRenderer.on('to-page', (event, value) => { globalThis.__received = (globalThis.__received || 0) + 1 })
contextBridge.exposeInMainWorld('api', { send: (ch, ...a) => ipcRenderer.send(ch, ...a) })
)JS";

const char* kPage = "<!DOCTYPE html><html><head><title>doc</title></head><body>doc</body></html>";

class DocumentTest : public WebTest {
 public:
  using WebTest::eval;
  using WebTest::eval_preload;
  using WebTest::wait_for;
};

// Runs `preload`'s page, re-opens its document five times, then sends one
// message; returns [preload runs, listeners of 'to-page'] as JSON.
std::string after_document_open(DocumentTest& t, const std::shared_ptr<BrowserWindow>& win) {
  for (int i = 0; i < 5; ++i)
    t.eval(win, "document.open(); document.write('<p>rewritten</p>'); document.close(); 1");
  std::string got;
  EXPECT_TRUE(t.wait_for([&] {
    auto r = t.eval_preload(win,
                            "JSON.stringify([globalThis.__preloadRuns, "
                            "require('electron').ipcRenderer.listenerCount('to-page')])");
    if (r && r->is_string()) got = r->get_string();
    return !got.empty();
  }));
  return got;
}

TEST_F(DocumentTest, DocumentOpenDoesNotRunThePreloadAgain) {
  auto win = open(kVarPreload, kPage);
  EXPECT_EQ(after_document_open(*this, win), "[1,1]")
      << "[preload runs, listeners] after five document.open() calls";
  ASSERT_TRUE(win->web_contents()->send("to-page", 7));
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.received().length").get_number() >= 1; }));
  pump(std::chrono::milliseconds(100));
  EXPECT_EQ(eval(win, "JSON.stringify(api.received())").get_string(), "[7]")
      << "one message, delivered once";
  // The page still talks to main.
  std::string said;
  ipc().on("alive", [&](IpcMainEvent&, std::string s) { said = s; });
  eval(win, "api.send('alive', 'yes'); 1");
  EXPECT_TRUE(wait_for([&] { return said == "yes"; })) << "the page lost its IPC";
}

TEST_F(DocumentTest, APreloadWithConstDeclarationsSurvivesDocumentOpen) {
  auto win = open(kConstPreload, kPage);
  EXPECT_EQ(after_document_open(*this, win), "[1,1]");
  ASSERT_TRUE(win->web_contents()->send("to-page", 7));
  ASSERT_TRUE(wait_for([&] {
    auto r = eval_preload(win, "globalThis.__received === 1");
    return r && r->is_bool() && r->get_bool();
  }));
}

// As Electron, a preload's top-level declarations are its own (Electron
// wraps the preload in a function): they do not become globals of the
// preload world, and `global` is the preload world's global.
TEST_F(DocumentTest, APreloadsDeclarationsAreLocalToIt) {
  auto win = open(R"JS(
var declared = 1
const alsoDeclared = 2
global.madeGlobal = typeof module === 'object' && module.exports === exports ? 'module' : 'no module'
)JS",
                  kPage);
  auto r =
      eval_preload(win, "[typeof declared, typeof alsoDeclared, globalThis.madeGlobal].join()");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->get_string(), "undefined,undefined,module");
}

}  // namespace
}  // namespace valence::test
