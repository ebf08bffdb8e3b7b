// A renderer of the renderer-to-renderer example (argv[1] is "A" or "B").
#include <cstdio>
#include <memory>
#include <string>

#include "valence/event_loop.h"
#include "valence/message_port.h"
#include "valence/renderer/ipc_renderer.h"

using valence::IpcRendererEvent;
using valence::MessageEvent;
using valence::Value;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string me = argc > 1 ? argv[1] : "?";
  auto loop = valence::EventLoop::create();
  auto ipc = valence::IpcRenderer::connect(*loop).value();
  std::shared_ptr<valence::MessagePort> port;
  int exchanged = 0;

  // Way 1: through main.
  if (me == "A") ipc->send("to-b", "hello B, via main");
  ipc->on("from-a", [&](IpcRendererEvent&, std::string text) {
    std::printf("renderer %s: got \"%s\" (brokered)\n", me.c_str(), text.c_str());
  });

  // Way 2: a port of our own.
  ipc->on("port", [&](IpcRendererEvent& event, std::string note) {
    port = event.ports.at(0);
    std::printf("renderer %s: got a port (%s)\n", me.c_str(), note.c_str());
    port->on_message([&](MessageEvent& e) {
      int n = e.data["n"].get_int32();
      std::printf("renderer %s: port message %d from %s\n", me.c_str(), n,
                  e.data["from"].get_string().c_str());
      ++exchanged;
      if (n < 3) (void)port->post_message(Value::object({{"from", me}, {"n", n + 1}}));
      if (n >= 2)
        ipc->send("done",
                  me + " exchanged " + std::to_string(exchanged) + " port messages directly");
    });
    port->start();
    if (me == "A") (void)port->post_message(Value::object({{"from", me}, {"n", 0}}));
  });
  ipc->on("quit", [&](IpcRendererEvent&) { loop->quit(); });
  loop->run();
  return 0;
}
