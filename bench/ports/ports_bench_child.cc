// A renderer of ports_bench.
//
//   ports_bench_child --role a|b --case direct|brokered --n N --warmup W [--cpu C]
//
// a: the requester. Sends a small message (an int32), waits for it to come
//    back, N timed round trips after W warm-up, driven by its event loop
//    (the next message is sent from the previous reply's listener). Sends
//    main "result" (a JSON text) at the end.
// b: the responder. Sends every message straight back.
// direct:   over a MessagePort each (main hands them out on "port").
// brokered: over ipc: a sends "to-b", main forwards it to b as "from-a",
//           b sends "to-a", main forwards it to a as "from-b".
// Both report their CPU time over the timed round trips ("cpu", µs).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "valence/event_loop.h"
#include "valence/message_port.h"
#include "valence/renderer/ipc_renderer.h"

using bench::Clock;
using valence::IpcRendererEvent;
using valence::MessageEvent;
using valence::Value;

int main(int argc, char** argv) {
  const std::string role = bench::flag(argc, argv, "--role", "a");
  const std::string mode = bench::flag(argc, argv, "--case", "direct");
  const long n = bench::flag_long(argc, argv, "--n", 20000);
  const long warmup = bench::flag_long(argc, argv, "--warmup", 2000);
  const int cpu = static_cast<int>(bench::flag_long(argc, argv, "--cpu", -1));
  if (!bench::pin_to_cpu(cpu)) return 2;
  const std::string affinity = bench::affinity_text();

  auto loop = valence::EventLoop::create();
  auto connected = valence::IpcRenderer::connect(*loop);
  if (!connected) {
    std::fprintf(stderr, "ports_bench_child: %s\n", connected.error().message.c_str());
    return 1;
  }
  auto ipc = std::move(connected).value();
  std::shared_ptr<valence::MessagePort> port;

  long count = 0;  // messages handled (b) / round trips done (a)
  double cpu_start = 0;
  Clock::time_point t0;
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(n));
  bool bad = false;

  auto send = [&](int v) {
    if (mode == "direct") {
      if (!port->post_message(Value(v))) bad = true;
    } else {
      ipc->send(role == "a" ? "to-b" : "to-a", v);
    }
  };
  auto cpu_mark = [&] {
    if (count == warmup) cpu_start = bench::cpu_time_us();
    if (count == warmup + n)
      ipc->send("cpu", role, (bench::cpu_time_us() - cpu_start) / static_cast<double>(n));
  };
  auto next = [&] {
    cpu_mark();
    if (count == warmup + n) {
      auto s = bench::compute_stats(samples);
      ipc->send("result", bench::Json()
                              .str("case", mode)
                              .str("a_affinity", affinity)
                              .boolean("ok", !bad)
                              .stats("", s)
                              .text());
      return;
    }
    t0 = Clock::now();
    send(static_cast<int>(count));
  };
  // a: one round trip came back.
  auto on_reply = [&](int v) {
    auto t1 = Clock::now();
    if (v != static_cast<int>(count)) bad = true;
    if (count >= warmup) samples.push_back(bench::us_between(t0, t1));
    ++count;
    next();
  };
  // b: one message to send back.
  auto on_request = [&](int v) {
    send(v);
    ++count;
    cpu_mark();
  };

  ipc->on("port", [&](IpcRendererEvent& e, Value) {
    port = e.ports.at(0);
    port->on_message([&](MessageEvent& m) {
      if (role == "a") {
        on_reply(m.data.get_int32());
      } else {
        on_request(m.data.get_int32());
      }
    });
    port->start();
    if (role == "a") next();
  });
  ipc->on("from-b", [&](IpcRendererEvent&, int v) { on_reply(v); });
  ipc->on("from-a", [&](IpcRendererEvent&, int v) { on_request(v); });
  ipc->on("go", [&](IpcRendererEvent&) { next(); });
  ipc->on("quit", [&](IpcRendererEvent&) { loop->quit(); });
  loop->run();
  return 0;
}
