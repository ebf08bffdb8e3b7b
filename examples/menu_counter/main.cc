// The menu counter of Electron's IPC tutorial (pattern 3, main to renderer:
// a native menu's items call webContents.send('update-counter', ±1)), with
// the tutorial's preload.js, index.html and renderer.js. Three variants, as
// the tutorial shows them (argument: basic | reply | dom; default reply):
//   basic  preload exposes onUpdateCounter over the contextBridge;
//   reply  ... and counterValue, which the page calls to send 'counter-value'
//          back ("Optional: returning a reply");
//   dom    the alternative preload that uses ipcRenderer directly on
//          DOMContentLoaded.
// This file is its main.js.
#include <cstdio>
#include <string>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "valence/ui/menu.h"

using namespace valence;

void create_window(App& app, const std::string& variant) {
  auto created = BrowserWindow::create(
      app, {.web_preferences = {.preload = App::resource_path(variant + "/preload.js")}});
  if (!created) return;
  auto main_window = *created;
  auto menu = Menu::build_from_template({
      {.label = app.name(),
       .submenu =
           {
               {.label = "Increment",
                .click = [main_window](
                             MenuItem&,
                             auto&) { main_window->web_contents()->send("update-counter", 1); }},
               {.label = "Decrement",
                .click = [main_window](
                             MenuItem&,
                             auto&) { main_window->web_contents()->send("update-counter", -1); }},
           }},
  });
  Menu::set_application_menu(menu);
  (void)main_window->load_file(App::resource_path(variant + "/index.html"));
}

int main(int argc, char** argv) {
  App app(argc, argv);
  std::string variant = argc > 1 ? argv[1] : "reply";
  app.when_ready([&] {
    app.ipc_main().on("counter-value", [](IpcMainEvent&, double value) {
      std::printf("%g\n", value);  // will print value to the terminal
      std::fflush(stdout);
    });
    create_window(app, variant);
  });
  return app.run();
}
