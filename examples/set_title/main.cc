// The set-title app of Electron's IPC tutorial (pattern 1, renderer to main,
// one-way), with its preload.js, index.html and renderer.js as the tutorial
// prints them. This file is its main.js.
#include <string>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using valence::App;
using valence::BrowserWindow;
using valence::IpcMainEvent;

void handle_set_title(IpcMainEvent& event, std::string title) {
  auto web_contents = event.sender;
  auto win = BrowserWindow::from_web_contents(*web_contents);
  win->set_title(title);
}

void create_window(App& app) {
  auto main_window = BrowserWindow::create(
      app, {.web_preferences = {.preload = App::resource_path("preload.js")}});
  if (!main_window) return;
  (void)(*main_window)->load_file(App::resource_path("index.html"));
}

int main(int argc, char** argv) {
  App app(argc, argv);
  app.when_ready([&] {
    app.ipc_main().on("set-title", handle_set_title);
    create_window(app);
  });
  return app.run();
}
