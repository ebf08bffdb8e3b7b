// The web tests' harness: one App per test process (GTK needs a display:
// ctest runs these under xvfb-run), windows whose pages and preloads are
// written to a scratch directory, and waits that pump the real GLib loop.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "valence/value.h"

namespace valence::test {

valence::App& test_app();

class WebTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Opens a window showing `html` (index.html) with `preload` (may be
  // empty), plus `files` beside them; waits for did-finish-load.
  std::shared_ptr<BrowserWindow> open(const std::string& preload, const std::string& html,
                                      const std::map<std::string, std::string>& files = {},
                                      BrowserWindowOptions options = {});
  // Runs code in the page's main world (webContents.executeJavaScript) and
  // returns its value; fails the test on error.
  Value eval(const std::shared_ptr<BrowserWindow>& win, const std::string& code);
  Result<Value> try_eval(const std::shared_ptr<BrowserWindow>& win, const std::string& code);
  // Runs code in the preload world (test access only; WebKit's own API).
  Result<Value> eval_preload(const std::shared_ptr<BrowserWindow>& win, const std::string& code);
  // Pumps the loop until pred() or the timeout; returns pred(). The timeout
  // only ends a test that would otherwise hang: a passing wait returns as
  // soon as pred() holds, so it is generous (a 300 MiB message beside two CPU
  // hogs once took 15 s) and well under ctest's 300 s per test.
  bool wait_for(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void pump(std::chrono::milliseconds duration);
  std::string scratch_dir();

  App& app() { return test_app(); }
  IpcMain& ipc() { return test_app().ipc_main(); }

 private:
  std::string dir_;
  std::vector<std::shared_ptr<BrowserWindow>> windows_;
};

// A string as a JS string literal.
std::string js_string(const std::string& s);

}  // namespace valence::test
