#include "harness.h"

#include <stdlib.h>
#include <webkit2/webkit2.h>

#include <filesystem>
#include <fstream>

#include "valence/main/ipc_main.h"

#ifndef VALENCE_WEB_TEST_SCRATCH
#define VALENCE_WEB_TEST_SCRATCH "/tmp"
#endif

namespace valence::test {
namespace {

App* g_app = nullptr;

Value from_jsc_result(JSCValue* v);

struct Wait {
  std::optional<Result<Value>> result;
};

}  // namespace

App& test_app() {
  if (!g_app) {
    static int argc = 1;
    static char arg0[] = "web_test";
    static char* argv_storage[] = {arg0, nullptr};
    static char** argv = argv_storage;
    ::setenv("NO_AT_BRIDGE", "1", 0);
    ::setenv("GSETTINGS_BACKEND", "memory", 0);  // no dconf (no session bus on Xvfb)
    AppOptions options;
    options.test_hooks = true;
    options.console_to_stdout = true;      // page errors in the test log
    g_app = new App(argc, argv, options);  // lives as long as the test process
    g_app->on_window_all_closed([] {});    // the tests decide when to stop
    g_app->ipc_main().set_error_reporter([](const std::string& message) {
      std::fprintf(stderr, "[ipcMain] %s\n", message.c_str());
    });
  }
  return *g_app;
}

std::string js_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out + "\"";
}

std::string WebTest::scratch_dir() {
  if (dir_.empty()) {
    std::string templ = std::string(VALENCE_WEB_TEST_SCRATCH) + "/web-XXXXXX";
    std::filesystem::create_directories(VALENCE_WEB_TEST_SCRATCH);
    char* d = ::mkdtemp(templ.data());
    EXPECT_NE(d, nullptr);
    dir_ = templ;
  }
  return dir_;
}

void WebTest::TearDown() {
  // The App (and its ipcMain) outlives each test when the tests share a process.
  ipc().remove_all_listeners();
  ipc().remove_all_handlers();
  for (auto& w : windows_) w->destroy();
  windows_.clear();
  pump(std::chrono::milliseconds(20));
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::shared_ptr<BrowserWindow> WebTest::open(const std::string& preload, const std::string& html,
                                             const std::map<std::string, std::string>& files,
                                             BrowserWindowOptions options) {
  test_app();
  std::string dir = scratch_dir() + "/w" + std::to_string(windows_.size());
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
  };
  write("index.html", html);
  for (const auto& [name, text] : files) write(name, text);
  if (!preload.empty()) {
    write("preload.js", preload);
    options.web_preferences.preload = dir + "/preload.js";
  }
  auto created = BrowserWindow::create(app(), options);
  EXPECT_TRUE(created) << (created ? "" : created.error().message);
  if (!created) return nullptr;
  auto win = *created;
  windows_.push_back(win);
  // Shared: the callback stays registered for later navigations of the window.
  auto loaded = std::make_shared<bool>(false);
  win->web_contents()->on_did_finish_load([loaded] { *loaded = true; });
  EXPECT_TRUE(win->load_file(dir + "/index.html"));
  EXPECT_TRUE(wait_for([&] { return *loaded; })) << "the page did not finish loading";
  return win;
}

Result<Value> WebTest::try_eval(const std::shared_ptr<BrowserWindow>& win,
                                const std::string& code) {
  auto state = std::make_shared<Wait>();
  win->web_contents()->execute_javascript(code).then(
      [state](Result<Value> r) { state->result.emplace(std::move(r)); });
  if (!wait_for([&] { return state->result.has_value(); }))
    return make_error(ErrorCode::kTimedOut, "executeJavaScript timed out: " + code);
  return std::move(*state->result);
}

Value WebTest::eval(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
  auto r = try_eval(win, code);
  EXPECT_TRUE(r) << code << "\n -> " << (r ? "" : r.error().message);
  return r ? std::move(r).value() : Value();
}

namespace {

void on_preload_done(GObject* source, GAsyncResult* result, gpointer data) {
  auto* state = static_cast<std::shared_ptr<Wait>*>(data);
  GError* error = nullptr;
  JSCValue* value =
      webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(source), result, &error);
  if (!value) {
    (*state)->result.emplace(make_error(ErrorCode::kFailed, error ? error->message : "failed"));
  } else {
    (*state)->result.emplace(from_jsc_result(value));
    g_object_unref(value);
  }
  g_clear_error(&error);
  delete state;
}

Value from_jsc_result(JSCValue* v) {
  // Test results are JSON-able: strings, numbers, booleans.
  if (jsc_value_is_string(v)) {
    char* s = jsc_value_to_string(v);
    Value out{std::string(s)};
    g_free(s);
    return out;
  }
  if (jsc_value_is_number(v)) return Value(jsc_value_to_double(v));
  if (jsc_value_is_boolean(v)) return Value(static_cast<bool>(jsc_value_to_boolean(v)));
  if (jsc_value_is_null(v)) return Value(nullptr);
  if (jsc_value_is_undefined(v)) return Value();
  char* json = jsc_value_to_json(v, 0);
  Value out{std::string(json ? json : "")};
  g_free(json);
  return out;
}

}  // namespace

Result<Value> WebTest::eval_preload(const std::shared_ptr<BrowserWindow>& win,
                                    const std::string& code) {
  auto state = std::make_shared<Wait>();
  auto* view = static_cast<WebKitWebView*>(win->native_view());
  webkit_web_view_evaluate_javascript(view, code.c_str(), -1, "valence-preload", "valence://test",
                                      nullptr, on_preload_done, new std::shared_ptr<Wait>(state));
  if (!wait_for([&] { return state->result.has_value(); }))
    return make_error(ErrorCode::kTimedOut, "preload evaluation timed out");
  return std::move(*state->result);
}

bool WebTest::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    app().loop().run_once(std::chrono::milliseconds(5));
  }
  return true;
}

void WebTest::pump(std::chrono::milliseconds duration) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline)
    app().loop().run_once(std::chrono::milliseconds(2));
}

}  // namespace valence::test
