// Pattern 4 of Electron's IPC tutorial, renderer to renderer, both ways the
// tutorial names: main as a message broker between two windows, and main
// handing each window one port of a MessageChannelMain, after which the two
// pages talk directly (web process to web process, not through main).
#include <cstdio>
#include <memory>
#include <string>

#include "valence/message_port.h"
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using namespace valence;

std::shared_ptr<BrowserWindow> create_window(App& app, const std::string& name) {
  auto win = BrowserWindow::create(
      app, {.width = 480,
            .height = 360,
            .title = name,
            .web_preferences = {.preload = App::resource_path("preload.js")}});
  if (!win) return nullptr;
  (void)(*win)->load_url("file://" + App::resource_path("index.html") + "?" + name);
  return *win;
}

int main(int argc, char** argv) {
  App app(argc, argv);
  std::shared_ptr<BrowserWindow> a, b;
  app.when_ready([&] {
    a = create_window(app, "A");
    b = create_window(app, "B");
    if (!a || !b) return app.quit();
    // The broker: whatever one window sends on 'to-other' goes to the other.
    app.ipc_main().on("to-other", [&](IpcMainEvent& event, std::string text) {
      auto other = event.sender == a->web_contents() ? b : a;
      std::printf("main forwards: %s\n", text.c_str());
      std::fflush(stdout);
      other->web_contents()->send("from-other", text);
    });
    // The direct way: one port each, once both pages are loaded.
    auto loaded = std::make_shared<int>(0);
    auto hand_ports = [&app, loaded, &a, &b] {
      if (++*loaded != 2) return;
      auto channel = MessageChannelMain::create(app.loop());
      if (!channel) return;
      (void)a->web_contents()->post_message("port", Value("A"), {channel->port1});
      (void)b->web_contents()->post_message("port", Value("B"), {channel->port2});
    };
    a->web_contents()->on_did_finish_load(hand_ports);
    b->web_contents()->on_did_finish_load(hand_ports);
  });
  return app.run();
}
