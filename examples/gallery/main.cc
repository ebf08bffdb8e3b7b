// The demo gallery: a window listing the seed apps; each opens as its own
// program, in its own window. scripts/demo.sh starts it when there is a
// display (and walks through every app by itself on Xvfb when there is none).
#include <glib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using namespace valence;

struct DemoApp {
  const char* name;
  const char* dir;  // beside this program: ../<dir>/<program>
  const char* program;
  const char* arg;
  const char* pattern;
  const char* what;
};

const std::vector<DemoApp> kApps = {
    {"set-title", "set_title", "set_title", nullptr, "1: renderer to main",
     "Type a title and press Set: ipcRenderer.send -> ipcMain.on -> win.setTitle."},
    {"ping", "ping", "ping", nullptr, "2: renderer to main, two-way",
     "invoke('ping') answered by ipcMain.handle, and the versions line."},
    {"open-file", "open_file", "open_file", nullptr, "2: two-way",
     "Open a File: invoke -> handle -> dialog.showOpenDialog (GTK's file chooser)."},
    {"menu counter", "menu_counter", "menu_counter", "reply", "3: main to renderer",
     "The window's menu sends update-counter; the page replies counter-value."},
    {"two windows", "two_windows", "two_windows", nullptr, "4: renderer to renderer",
     "Main as a broker, then a MessagePort each: the pages talk directly."},
    {"legacy ping-pong", "legacy", "legacy_patterns", "async", "legacy (001)",
     "The page's own require('electron') (nodeIntegration): asyncChannel ping-pong."},
    {"legacy sendSync", "legacy", "legacy_patterns", "sync", "legacy (001)",
     "sendSync('syncChannelToMain') answered with event.returnValue."},
    {"remote module", "remote", "remote", nullptr, "remote (004)",
     "remote.require('./mapNumbers') of a C++ module, new BrowserWindow from the page, a "
     "sharedObject global."},
    {"remote RMI", "legacy", "legacy_patterns", "rmi", "remote (001)",
     "The page's own require('electron').remote: new BrowserWindow() and app.quit()."},
};

Value app_list() {
  std::vector<Value> items;
  for (const auto& a : kApps)
    items.push_back(Value::object({{"name", a.name}, {"pattern", a.pattern}, {"what", a.what}}));
  return Value::array(std::move(items));
}

// Starts an example program in its own directory; its windows are its own.
Result<int> launch(const std::string& name) {
  for (const auto& a : kApps) {
    if (name != a.name) continue;
    std::string dir = App::resource_path(std::string("../") + a.dir);
    std::vector<const char*> argv = {a.program, a.arg, nullptr};
    if (!a.arg) argv[1] = nullptr;
    std::string program = dir + "/" + a.program;
    argv[0] = program.c_str();
    GPid pid = 0;
    GError* error = nullptr;
    if (!g_spawn_async(dir.c_str(), const_cast<char**>(argv.data()), nullptr,
                       G_SPAWN_DO_NOT_REAP_CHILD, nullptr, nullptr, &pid, &error)) {
      std::string message = error ? error->message : "spawn failed";
      g_clear_error(&error);
      return make_error(ErrorCode::kFailed, message);
    }
    g_child_watch_add(
        pid, [](GPid p, gint, gpointer) { g_spawn_close_pid(p); }, nullptr);
    std::printf("gallery: opened %s (pid %d)\n", a.name, pid);
    std::fflush(stdout);
    return static_cast<int>(pid);
  }
  return make_error(ErrorCode::kFailed, "no app named '" + name + "'");
}

int main(int argc, char** argv) {
  App app(argc, argv);
  app.when_ready([&] {
    (void)app.ipc_main().handle("apps:list", [](IpcMainInvokeEvent&) { return app_list(); });
    (void)app.ipc_main().handle("apps:open",
                                [](IpcMainInvokeEvent&, std::string name) { return launch(name); });
    auto win = BrowserWindow::create(
        app, {.width = 980,
              .height = 700,
              .title = "valence gallery",
              .web_preferences = {.preload = App::resource_path("preload.js")}});
    if (win) (void)(*win)->load_file(App::resource_path("index.html"));
  });
  return app.run();
}
