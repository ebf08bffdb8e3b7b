// The IPC tutorial's patterns (Electron docs, "Inter-Process Communication"),
// with a native C++ child process in the renderer's place. This file is the
// main process: it reads like the tutorial's main.js.
#include <cstdio>
#include <string>

#include "valence/event_loop.h"
#include "valence/main/main_process.h"

using valence::IpcMainEvent;
using valence::IpcMainInvokeEvent;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string child_path = argc > 1 ? argv[1] : VALENCE_EXAMPLE_CHILD;
  auto loop = valence::EventLoop::create();
  valence::MainProcess app(*loop);
  auto& ipc_main = app.ipc_main();
  std::string window_title = "valence";

  // Pattern 1: renderer to main, one way.
  ipc_main.on("set-title", [&](IpcMainEvent& event, std::string title) {
    window_title = title;
    std::printf("main: set-title from renderer %d -> the window is now titled \"%s\"\n",
                event.sender->id(), title.c_str());
  });

  // Pattern 2: renderer to main, two way.
  (void)ipc_main.handle("ping", [](IpcMainInvokeEvent&) { return std::string("pong"); });
  (void)ipc_main.handle("versions", [](IpcMainInvokeEvent&) {
    return valence::Value::object({{"valence", "0.1.0"}, {"transport", "AF_UNIX stream"}});
  });

  // The legacy patterns: send + event.reply, and sendSync + event.returnValue.
  ipc_main.on("asynchronous-message", [](IpcMainEvent& event, std::string arg) {
    std::printf("main: asynchronous-message \"%s\" -> replying \"pong\"\n", arg.c_str());
    event.reply("asynchronous-reply", "pong");
  });
  ipc_main.on("synchronous-message", [](IpcMainEvent& event, std::string arg) {
    std::printf("main: synchronous-message \"%s\" -> returnValue \"pong\"\n", arg.c_str());
    event.set_return_value("pong");
  });

  // Pattern 3: main to renderer, with the optional reply.
  int steps = 0;
  bool invokes_done = false;
  auto maybe_finish = [&](IpcMainEvent& event) {
    if (steps < 3 || !invokes_done) return;
    std::printf("main: all patterns done; asking the renderer to quit\n");
    event.reply("quit");
  };
  ipc_main.on("counter-value", [&](IpcMainEvent& event, int value) {
    std::printf("main: counter-value %d\n", value);
    ++steps;
    maybe_finish(event);
  });
  ipc_main.on("invokes-done", [&](IpcMainEvent& event) {
    invokes_done = true;
    maybe_finish(event);
  });

  auto spawned = app.spawn_child({.path = child_path});
  if (!spawned) {
    std::fprintf(stderr, "main: %s\n", spawned.error().message.c_str());
    return 1;
  }
  auto contents = std::move(spawned).value();
  contents->on_did_finish_load([&] {
    std::printf("main: renderer %d (pid %d) is ready\n", contents->id(), contents->process_id());
    // The menu's Increment / Increment / Decrement clicks.
    contents->send("update-counter", 1);
    contents->send("update-counter", 1);
    contents->send("update-counter", -1);
  });
  int status = 1;
  contents->on_render_process_gone([&](const valence::RenderProcessGoneDetails& details) {
    std::printf("main: renderer gone (%s, exit code %d); final title \"%s\"\n",
                details.reason.c_str(), details.exit_code, window_title.c_str());
    status = details.reason == "clean-exit" ? 0 : 1;
    loop->quit();
  });
  loop->run();
  return status;
}
