// App: the main process of a valence application with windows — Electron's
// `app`. It owns GTK's initialization, the GLib event loop, the MainProcess
// (ipcMain and every renderer) and the WebKit context all windows share.
//
//   int main(int argc, char** argv) {
//     valence::App app(argc, argv);
//     app.when_ready([&] { auto win = valence::BrowserWindow::create(app, {...}); ... });
//     return app.run();
//   }
//
// Linux has no `activate` (re-opening an app from its dock icon): that
// event of Electron's does not exist here. With no window-all-closed
// listener, closing the last window quits (Electron's default on Linux).
//
// Thread safety: loop-affine (the GTK main thread). One App per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/event_loop.h"
#include "valence/main/ipc_main.h"
#include "valence/main/main_process.h"

namespace valence {

class BrowserWindow;
namespace remote {
class Registry;
}

struct AppOptions {
  // WebKit's bubblewrap sandbox for web processes (on by default). The
  // environment variable VALENCE_DISABLE_SANDBOX=1 also turns it off.
  bool sandbox = true;
  // Expose test hooks (a real GC, weak counters) to preload scripts as
  // `__valenceTest`. Also on with VALENCE_TEST_HOOKS=1. Never in production.
  bool test_hooks = false;
  // Pages' console messages (console.log, errors) on stdout, as
  // "file:line:col: CONSOLE JS LOG ...". Also on with VALENCE_CONSOLE=1.
  bool console_to_stdout = false;
  // Let glibc keep freed memory for reuse (M_MMAP_THRESHOLD 32 MiB,
  // M_TRIM_THRESHOLD 128 MiB) in main and in the web processes: IPC buffers
  // of up to tens of MiB are then recycled instead of being unmapped and
  // faulted in again on every message (a 1 MiB echo gets ~4x faster; see
  // docs/benchmarks.md). The cost: up to 128 MiB of freed memory may stay
  // mapped. VALENCE_MALLOC_TUNING=0 also turns it off.
  bool tune_malloc = true;
};

class App {
 public:
  // Initializes GTK (needs a display: DISPLAY or WAYLAND_DISPLAY). Errors
  // are fatal, as in Electron: the message says what is missing.
  App(int& argc, char**& argv, AppOptions options = {});
  App();
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The App of this process (null before one is created).
  static App* current() noexcept;

  EventLoop& loop() noexcept;
  MainProcess& main_process() noexcept;
  IpcMain& ipc_main() noexcept { return main_process().ipc_main(); }

  // app.whenReady(): runs `callback` once the loop runs (at once if it already does).
  void when_ready(UniqueFunction<void()> callback);
  bool is_ready() const noexcept;
  // window-all-closed: with a listener, closing the last window does not quit.
  void on_window_all_closed(UniqueFunction<void()> callback);
  // Closes every window, then ends run().
  void quit();
  // Runs the loop until quit(); returns the exit code (0).
  int run();

  std::vector<std::shared_ptr<BrowserWindow>> windows() const;
  // The remote module (valence/remote.h): what pages of windows with
  // web_preferences.enable_remote_module may use. Made on first use, with
  // the built-ins app, BrowserWindow and webContents.
  remote::Registry& remote();
  // app.name: the program's name (argv[0]'s base name) unless set.
  std::string name() const;
  void set_name(const std::string& name);
  // `name` in the directory of this program's executable: what Electron
  // apps write as path.join(__dirname, name).
  static std::string resource_path(const std::string& name);
  // The version strings preload scripts see in process.versions.
  static std::vector<std::pair<std::string, std::string>> versions();

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace valence
