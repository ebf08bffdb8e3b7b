// The legacy IPC patterns, with their pages and preloads as the seeds print
// them (./legacy_patterns async | sync | reply | sync_message):
//   async         001: asyncChannelToMain / asyncChannelToRenderer ping-pong,
//                 the page calling require('electron') itself (nodeIntegration)
//   sync          001: syncChannelToMain with event.returnValue (nodeIntegration)
//   rmi           001: "Remote module RMI": the page opens windows and quits
//                 the app through require('electron').remote (nodeIntegration
//                 and enableRemoteModule)
//   reply         the IPC tutorial's legacy asynchronous-message /
//                 asynchronous-reply with event.reply, from the preload
//   sync_message  the tutorial's legacy synchronous-message / returnValue,
//                 from the preload
// This file is their main.js (index.js in 001).
#include <cstdio>
#include <memory>
#include <string>

#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"

using namespace valence;

void log(const std::string& line) {
  std::printf("%s\n", line.c_str());  // console.log in Electron's main process
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  App app(argc, argv);
  std::string variant = argc > 1 ? argv[1] : "async";
  std::shared_ptr<BrowserWindow> win;

  // 001, asynchronous
  app.ipc_main().on("asyncChannelToMain", [](IpcMainEvent& event, std::string arg) {
    log(arg + " from renderer");
    if (arg == "hello") event.sender->send("asyncChannelToRenderer", "world");
  });
  // 001, synchronous
  app.ipc_main().on("syncChannelToMain", [](IpcMainEvent& event, std::string arg) {
    log(arg + " from renderer");
    event.set_return_value("world");
  });
  // The tutorial's legacy patterns
  app.ipc_main().on("asynchronous-message", [](IpcMainEvent& event, std::string arg) {
    log(arg);  // prints "ping"
    event.reply("asynchronous-reply", "pong");
  });
  app.ipc_main().on("synchronous-message", [](IpcMainEvent& event, std::string arg) {
    log(arg);  // prints "ping"
    event.set_return_value("pong");
  });

  app.when_ready([&] {  // app.on('ready', ...)
    BrowserWindowOptions options;
    if (variant == "async" || variant == "sync" || variant == "rmi")
      options.web_preferences.node_integration = true;  // the page calls require('electron')
    else
      options.web_preferences.preload = App::resource_path(variant + "/preload.js");
    // 001's RMI page uses remote (off by default since Electron 10).
    options.web_preferences.enable_remote_module = variant == "rmi";
    auto created = BrowserWindow::create(app, options);
    if (!created) {
      log(created.error().message);
      app.quit();
      return;
    }
    win = *created;
    win->on_closed([&] { win = nullptr; });
    if (variant == "async") {
      win->web_contents()->on_did_finish_load(
          [&] { win->web_contents()->send("asyncChannelToRenderer", "hello"); });
    }
    (void)win->load_file(App::resource_path(variant + "/index.html"));
  });
  return app.run();
}
