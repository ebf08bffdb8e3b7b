// Pattern 4 of the IPC tutorial, renderer to renderer, with two native C++
// children in the renderers' places, both ways:
//  1. main as a message broker: renderer A sends to main, main forwards to B;
//  2. main creates a MessageChannelMain and hands one port to each child;
//     after that the two children talk directly, main is not on the path.
#include <cstdio>
#include <string>

#include "valence/event_loop.h"
#include "valence/main/main_process.h"
#include "valence/message_port.h"

using valence::IpcMainEvent;
using valence::Value;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string child_path = argc > 1 ? argv[1] : VALENCE_EXAMPLE_CHILD;
  auto loop = valence::EventLoop::create();
  valence::MainProcess app(*loop);

  auto a = app.spawn_child({.path = child_path, .args = {"A"}}).value();
  auto b = app.spawn_child({.path = child_path, .args = {"B"}}).value();

  // 1. Broker: whatever A says on 'to-b' goes to B as 'from-a'.
  app.ipc_main().on("to-b", [&](IpcMainEvent&, std::string text) {
    std::printf("main: brokering \"%s\" from A to B\n", text.c_str());
    b->send("from-a", text);
  });

  // 2. Direct: a channel whose ends go to A and B.
  int ready = 0;
  auto hand_out_ports = [&] {
    if (++ready < 2) return;
    auto channel = valence::MessageChannelMain::create(*loop).value();
    std::printf("main: handing port1 to A and port2 to B\n");
    (void)a->post_message("port", Value("you are A"), {channel.port1});
    (void)b->post_message("port", Value("you are B"), {channel.port2});
  };
  a->on_did_finish_load(hand_out_ports);
  b->on_did_finish_load(hand_out_ports);

  int done = 0;
  app.ipc_main().on("done", [&](IpcMainEvent& event, std::string summary) {
    std::printf("main: renderer %d says: %s\n", event.sender->id(), summary.c_str());
    if (++done == 2) {
      a->send("quit");
      b->send("quit");
    }
  });
  int gone = 0;
  auto on_gone = [&](const valence::RenderProcessGoneDetails& d) {
    std::printf("main: a renderer is gone (%s)\n", d.reason.c_str());
    if (++gone == 2) loop->quit();
  };
  a->on_render_process_gone(on_gone);
  b->on_render_process_gone(on_gone);
  loop->run();
  return 0;
}
