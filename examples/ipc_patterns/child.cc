// The renderer side of the IPC patterns as a native C++ child: what the
// tutorial's preload.js and renderer.js do, written against ipc_renderer.
#include <cstdio>
#include <string>

#include "valence/event_loop.h"
#include "valence/renderer/ipc_renderer.h"

using valence::IpcRendererEvent;

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto loop = valence::EventLoop::create();
  auto connected = valence::IpcRenderer::connect(*loop);
  if (!connected) {
    std::fprintf(stderr, "renderer: %s\n", connected.error().message.c_str());
    return 1;
  }
  auto ipc = std::move(connected).value();

  // Pattern 1: the "Set" button.
  ipc->send("set-title", "Hello from a C++ renderer");

  // Pattern 2: invoke returns a Future; here a coroutine awaits it.
  [](valence::IpcRenderer& r) -> valence::Task {
    auto pong = co_await r.invoke("ping");
    std::printf("renderer: invoke('ping') -> %s\n",
                pong ? pong->to_debug_string().c_str() : pong.error().message.c_str());
    auto versions = co_await r.invoke("versions");
    std::printf("renderer: invoke('versions') -> %s\n",
                versions ? versions->to_debug_string().c_str() : versions.error().message.c_str());
    auto missing = co_await r.invoke("no-such-channel");
    std::printf("renderer: invoke('no-such-channel') -> %s\n",
                missing ? "?" : missing.error().message.c_str());
    r.send("invokes-done");
  }(*ipc);

  // Legacy: send + a reply listener, and sendSync.
  ipc->on("asynchronous-reply", [](IpcRendererEvent&, std::string arg) {
    std::printf("renderer: asynchronous-reply \"%s\"\n", arg.c_str());
  });
  ipc->send("asynchronous-message", "ping");
  auto result = ipc->send_sync("synchronous-message", "ping");
  std::printf("renderer: sendSync('synchronous-message') -> %s\n",
              result ? result->to_debug_string().c_str() : result.error().message.c_str());

  // Pattern 3: the counter, with the optional counter-value reply.
  int counter = 0;
  ipc->on("update-counter", [&](IpcRendererEvent& event, int value) {
    counter += value;
    std::printf("renderer: update-counter %+d -> counter %d\n", value, counter);
    event.sender->send("counter-value", counter);
  });
  ipc->on("quit", [&](IpcRendererEvent&) { loop->quit(); });

  loop->run();
  return 0;
}
