// The ping app (pattern 2, renderer to main, two-way, with invoke('ping') and
// the versions line), from the seeds' "communication between main.js,
// preload.js and render.js" example. preload.js, index.html and renderer.js
// are the seed's; README.md lists the few characters the seed's text lost.
// This file is its main.js.
#include <string>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using valence::App;
using valence::BrowserWindow;
using valence::IpcMainInvokeEvent;

std::string handle_ping(IpcMainInvokeEvent&) {
  return "Pong";
}

void create_window(App& app) {
  auto win = BrowserWindow::create(app, {.width = 800,
                                         .height = 600,
                                         .web_preferences = {
                                             .preload = App::resource_path("preload.js"),
                                         }});
  if (!win) return;
  (void)app.ipc_main().handle("ping", handle_ping);  // the main will handle the ping function
  (void)(*win)->load_file(App::resource_path("index.html"));
}

int main(int argc, char** argv) {
  App app(argc, argv);
  app.when_ready([&] { create_window(app); });
  // Linux has no 'activate'; window-all-closed quits by default (not macOS).
  return app.run();
}
