// Seed 004's remote module examples with their JavaScript unchanged: the
// renderer code (in preload.js, where valence's remote lives) requires the
// main process's `./mapNumbers` module, opens a BrowserWindow from the page,
// reads a shared global and listens for its window's `close`. This file is
// the main process: mapNumbers.js becomes a C++ module.
//
//   remote [--quit-when-loaded]   (the flag: quit once the page has loaded; tests)
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "valence/remote.h"
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using valence::App;
using valence::BrowserWindow;
using valence::Value;
namespace remote = valence::remote;

int main(int argc, char** argv) {
  bool quit_when_loaded = argc > 1 && std::string(argv[1]) == "--quit-when-loaded";
  valence::AppOptions options;
  options.console_to_stdout = true;  // the seed's console.log lines, on stdout
  App app(argc, argv, options);

  // main process mapNumbers.js
  app.remote().module("./mapNumbers", [](remote::Module& m) {
    // [1, 2, 3].map(mapper): the renderer's callback runs later, one way,
    // so each element is undefined (the seed's point).
    m.function("withRendererCallback", [](remote::Callback mapper) {
      std::vector<Value> out;
      for (int x : {1, 2, 3}) {
        mapper(x);
        out.emplace_back();
      }
      return out;
    });
    m.function("withLocalCallback", [] {
      std::vector<int> out;
      for (int x : {1, 2, 3}) out.push_back(x + 1);
      return out;
    });
  });
  // The FAQ's global.sharedObject, shared by every window.
  app.remote().global("sharedObject",
                      remote::SharedObject::create({{"someProperty", Value("default value")}}));

  std::optional<valence::Timer> quit_timer;
  app.when_ready([&] {
    valence::BrowserWindowOptions o;
    o.title = "The remote module";
    o.web_preferences.preload = App::resource_path("preload.js");
    o.web_preferences.enable_remote_module = true;  // off by default, as in Electron >= 10
    auto win = BrowserWindow::create(app, o);
    if (!win) return;
    (void)(*win)->load_file(App::resource_path("index.html"));
    if (quit_when_loaded)
      (*win)->web_contents()->on_did_finish_load([&app, &quit_timer] {
        quit_timer = app.loop().add_timer(std::chrono::milliseconds(500), [&app] { app.quit(); });
      });
  });
  return app.run();
}
