// MessagePort round trip between two children, direct vs brokered by main.
//
//   ports_bench --case direct|brokered [--n N] [--warmup W] [--cpu-a C] [--cpu-b C]
//               [--child PATH]
//   ports_bench --print-frame-bytes     the size of one small port message's
//                                       frame (for the floor's --bytes)
//
// Spawns two ports_bench_child renderers, a and b (pinned to --cpu-a /
// --cpu-b when given; main stays where it was started, e.g. under taskset).
// direct:   main creates a MessageChannelMain and hands port1 to a and port2
//           to b (webContents.postMessage); then a and b ping-pong on their
//           own. Main only waits.
// brokered: a -> main ("to-b") -> b ("from-a") -> main ("to-a") -> a ("from-b"),
//           ipc send / on, the same small message.
// a times each round trip. Prints one JSON object: a's percentiles, and CPU
// time per round trip of a, b and main over the timed round trips.
#include <cstdio>
#include <string>

#include "bench_util.h"
#include "ipc/common/message.h"
#include "transport/frame.h"
#include "valence/event_loop.h"
#include "valence/main/main_process.h"
#include "valence/message_port.h"

using valence::IpcMainEvent;
using valence::Value;

namespace {

// The frame of port.postMessage(12345): header + payload, as ports/transfer.cc
// builds it ([message, [prefixes]], no ports).
std::size_t small_port_frame_bytes() {
  valence::ipc::Message m;
  m.kind = valence::ipc::MessageKind::kPortMessage;
  m.body = Value::array({Value(12345), Value::array({})});
  auto payload = valence::ipc::encode_message(m);
  return valence::transport::kFrameHeaderSize + (payload ? payload->size() : 0);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--print-frame-bytes") {
      std::printf("%zu\n", small_port_frame_bytes());
      return 0;
    }
  const std::string mode = bench::flag(argc, argv, "--case", "direct");
  const long n = bench::flag_long(argc, argv, "--n", 20000);
  const long warmup = bench::flag_long(argc, argv, "--warmup", 2000);
  const std::string cpu_a = bench::flag(argc, argv, "--cpu-a", "-1");
  const std::string cpu_b = bench::flag(argc, argv, "--cpu-b", "-1");
  const std::string child = bench::flag(argc, argv, "--child", VALENCE_PORTS_BENCH_CHILD);
  if (mode != "direct" && mode != "brokered") {
    std::fprintf(stderr, "ports_bench: --case direct|brokered\n");
    return 2;
  }

  auto loop = valence::EventLoop::create();
  valence::MainProcess app(*loop);
  auto spawn = [&](const std::string& role, const std::string& cpu) {
    return app
        .spawn_child({.path = child,
                      .args = {"--role", role, "--case", mode, "--n", std::to_string(n), "--warmup",
                               std::to_string(warmup), "--cpu", cpu}})
        .value();
  };
  auto a = spawn("a", cpu_a);
  auto b = spawn("b", cpu_b);

  // Main's CPU over the timed round trips: from the warm-up's end to the last.
  long forwarded = 0;
  double main_cpu_start = 0, main_cpu_per_rt = -1;
  auto main_cpu_mark = [&] {
    if (forwarded == warmup) main_cpu_start = bench::cpu_time_us();
    if (forwarded == warmup + n)
      main_cpu_per_rt = (bench::cpu_time_us() - main_cpu_start) / static_cast<double>(n);
  };
  app.ipc_main().on("to-b", [&](IpcMainEvent&, int v) { b->send("from-a", v); });
  app.ipc_main().on("to-a", [&](IpcMainEvent&, int v) {
    a->send("from-b", v);
    ++forwarded;
    main_cpu_mark();
  });

  int loaded = 0;
  auto ready = [&] {
    if (++loaded < 2) return;
    if (mode == "direct") {
      auto ch = valence::MessageChannelMain::create(*loop).value();
      (void)b->post_message("port", Value(), {ch.port2});
      (void)a->post_message("port", Value(), {ch.port1});
      // Main sees nothing of the exchange; its CPU is measured over all of it.
      main_cpu_start = bench::cpu_time_us();
    } else {
      a->send("go");
    }
  };
  a->on_did_finish_load(ready);
  b->on_did_finish_load(ready);

  std::string result;
  double a_cpu = -1, b_cpu = -1;
  app.ipc_main().on("result", [&](IpcMainEvent&, std::string json) { result = std::move(json); });
  app.ipc_main().on("cpu", [&](IpcMainEvent&, std::string role, double us) {
    (role == "a" ? a_cpu : b_cpu) = us;
  });
  int gone = 0;
  bool failed = false;
  auto on_gone = [&](const valence::RenderProcessGoneDetails& d) {
    if (d.reason != "clean-exit") failed = true;
    if (++gone == 2) loop->quit();
  };
  a->on_render_process_gone(on_gone);
  b->on_render_process_gone(on_gone);
  bool asked_to_quit = false;
  const auto deadline = bench::Clock::now() + std::chrono::minutes(5);
  while (gone < 2 && loop->run_once(std::chrono::milliseconds(100))) {
    if (!asked_to_quit && !result.empty() && a_cpu >= 0 && b_cpu >= 0) {
      asked_to_quit = true;
      if (mode == "direct")
        main_cpu_per_rt = (bench::cpu_time_us() - main_cpu_start) / static_cast<double>(n + warmup);
      a->send("quit");
      b->send("quit");
    }
    if (bench::Clock::now() > deadline) {
      std::fprintf(stderr, "ports_bench: timed out\n");
      return 1;
    }
  }
  if (result.empty() || failed) {
    std::fprintf(stderr, "ports_bench: no result (a child failed)\n");
    return 1;
  }
  // Merge: a's JSON object plus the CPU figures.
  std::string extra = bench::Json()
                          .num("a_cpu_per_rt_us", a_cpu)
                          .num("b_cpu_per_rt_us", b_cpu)
                          .num("main_cpu_per_rt_us", main_cpu_per_rt)
                          .str("main_affinity", bench::affinity_text())
                          .str("cpu_a", cpu_a)
                          .str("cpu_b", cpu_b)
                          .text();
  result.pop_back();
  std::printf("%s, %s\n", result.c_str(), extra.c_str() + 1);
  return 0;
}
