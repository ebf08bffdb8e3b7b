// A native child for tests/web/ports_test.cc: echoes, prefixed, whatever
// arrives on the port main hands it.
#include <memory>
#include <string>

#include "valence/event_loop.h"
#include "valence/message_port.h"
#include "valence/renderer/ipc_renderer.h"

int main() {
  auto loop = valence::EventLoop::create();
  auto ipc = valence::IpcRenderer::connect(*loop).value();
  std::shared_ptr<valence::MessagePort> port;
  ipc->on("port", [&](valence::IpcRendererEvent& event) {
    port = event.ports.at(0);
    port->on_message([&](valence::MessageEvent& e) {
      (void)port->post_message(valence::Value("native: " + e.data.get_string()));
    });
    port->start();
  });
  loop->run();
  return 0;
}
