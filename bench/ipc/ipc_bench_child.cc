// The renderer side of bench/ipc/ipc_bench: a native child started by the
// benchmark's MainProcess. argv[1] is the mode:
//
//   invoke N WARMUP SPIN_US [yield]
//                             N blocking invoke('ping', {seq, text}) round trips, timed
//                             here. SPIN_US > 0: poll the loop (epoll with a zero
//                             timeout) for up to SPIN_US before the blocking get(), a
//                             benchmark-only emulation of "spin before blocking";
//                             'yield': sched_yield() between polls.
//   send N REPS               N one-way send('count', {seq}), then invoke('count-done');
//                             messages/s from the first send to that reply.
//   echo SIZE ITERS WARMUP... Uint8Array invoke echo of SIZE bytes (several triples).
//   burst PER_ROUND           on each 'go' from main: PER_ROUND invokes at once, collected
//                             with then(); latencies go back with 'burst-done'.
//   idle                      connects and waits for 'quit'.
//   flood N                   N one-way send('flood', {seq}) as fast as the loop flushes.
//
// Results travel back as a JSON text: invoke('result', json). With
// $BENCH_CHILD_CPU set, the child pins itself to that CPU first.
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "valence/event_loop.h"
#include "valence/renderer/ipc_renderer.h"

namespace {

using bench::Clock;
using valence::EventLoop;
using valence::IpcRenderer;
using valence::IpcRendererEvent;
using valence::Value;

std::size_t arg_size(char** argv, int i, int argc, std::size_t fallback) {
  if (i >= argc) return fallback;
  return static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10));
}

int seq_of(const valence::Result<Value>& r) {
  if (!r) return -1;
  const Value* seq = r->find("seq");
  return seq && seq->is_int32() ? seq->get_int32() : -2;
}

bool report(IpcRenderer& ipc, const bench::Json& json) {
  auto r = ipc.invoke("result", json.text()).get();
  if (!r) std::fprintf(stderr, "child: result: %s\n", r.error().message.c_str());
  return static_cast<bool>(r);
}

int run_invoke(IpcRenderer& ipc, EventLoop& loop, std::size_t n, std::size_t warmup, long spin_us,
               bool yield) {
  std::vector<double> lat;
  lat.reserve(n);
  std::size_t bad = 0;
  double cpu0 = 0;
  Clock::time_point wall0{};
  const auto spin = std::chrono::microseconds(spin_us);
  for (std::size_t i = 0; i < warmup + n; ++i) {
    if (i == warmup) {
      cpu0 = bench::cpu_time_us();
      wall0 = Clock::now();
    }
    const int seq = static_cast<int>(i);
    Value arg = Value::object({{"seq", seq}, {"text", "ping"}});
    auto t0 = Clock::now();
    auto future = ipc.invoke("ping", std::move(arg));
    if (spin_us > 0) {
      auto deadline = t0 + spin;
      while (!future.is_ready() && Clock::now() < deadline) {
        loop.run_once(std::chrono::nanoseconds(0));
        if (yield && !future.is_ready()) ::sched_yield();
      }
    }
    auto r = future.get();
    auto t1 = Clock::now();
    if (seq_of(r) != seq) ++bad;
    if (i >= warmup) lat.push_back(bench::us_between(t0, t1));
  }
  double wall = bench::us_between(wall0, Clock::now());
  double cpu = bench::cpu_time_us() - cpu0;
  bench::Json j;
  j.stats("", bench::compute_stats(lat))
      .integer("bad", static_cast<long long>(bad))
      .integer("spin_us", spin_us)
      .boolean("spin_yield", yield)
      .num("child_cpu_per_rt_us", cpu / static_cast<double>(n))
      .num("wall_per_rt_us", wall / static_cast<double>(n))
      .str("child_affinity", bench::affinity_text());
  return report(ipc, j) && bad == 0 ? 0 : 1;
}

int run_send(IpcRenderer& ipc, std::size_t n, std::size_t reps) {
  std::vector<double> rates;
  std::string all;
  bool ok = true;
  for (std::size_t rep = 0; rep < reps; ++rep) {
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      ipc.send("count", Value::object({{"seq", static_cast<int>(i)}}));
    auto r = ipc.invoke("count-done").get();
    auto t1 = Clock::now();
    const Value* count = r ? r->find("count") : nullptr;
    const Value* in_order = r ? r->find("in_order") : nullptr;
    if (!count || !count->is_number() || count->get_number() != static_cast<double>(n) ||
        !in_order || !in_order->get_bool()) {
      ok = false;
      std::fprintf(stderr, "child: send rep %zu: main saw %s\n", rep,
                   r ? r->to_debug_string().c_str() : r.error().message.c_str());
    }
    double rate = static_cast<double>(n) / (bench::us_between(t0, t1) / 1e6);
    rates.push_back(rate);
    all += (all.empty() ? "" : ", ") + std::to_string(static_cast<long long>(rate));
  }
  auto s = bench::compute_stats(rates);
  bench::Json j;
  j.num("msgs_per_s", s.median)
      .integer("messages", static_cast<long long>(n))
      .integer("reps", static_cast<long long>(reps))
      .raw("rates", "[" + all + "]")
      .boolean("all_delivered_in_order", ok);
  return report(ipc, j) && ok ? 0 : 1;
}

int run_echo(IpcRenderer& ipc, const std::vector<std::size_t>& spec) {
  bench::Json j;
  bool ok = true;
  for (std::size_t k = 0; k + 2 < spec.size(); k += 3) {
    std::size_t size = spec[k], iters = spec[k + 1], warmup = spec[k + 2];
    valence::Bytes src(size);
    for (std::size_t i = 0; i < size; ++i) src.data()[i] = static_cast<std::uint8_t>(i * 31 + 7);
    std::vector<double> lat;
    long faults = 0;
    for (std::size_t i = 0; i < warmup + iters; ++i) {
      Value arg = valence::View(valence::ViewKind::kUint8Array, src.clone());
      long f0 = bench::minor_faults();
      auto t0 = Clock::now();
      auto r = ipc.invoke("echo", std::move(arg)).get();
      auto t1 = Clock::now();
      if (i >= warmup) faults += bench::minor_faults() - f0;
      const valence::View* v = r ? r->get_if_view() : nullptr;
      auto bytes = v ? v->own_bytes() : std::span<const std::uint8_t>();
      bool good = bytes.size() == size;
      if (good && (i == 0 || i + 1 == warmup + iters)) {
        good = std::memcmp(bytes.data(), src.data(), size) == 0;
      } else if (good && size > 0) {
        good = bytes[0] == src.data()[0] && bytes[size / 2] == src.data()[size / 2] &&
               bytes[size - 1] == src.data()[size - 1];
      }
      if (!good) {
        ok = false;
        std::fprintf(stderr, "child: echo of %zu bytes came back wrong (%s)\n", size,
                     r ? r->type_name() : r.error().message.c_str());
      }
      if (i >= warmup) lat.push_back(bench::us_between(t0, t1));
    }
    j.stats("echo_" + std::to_string(size) + "_", bench::compute_stats(lat));
    j.num("echo_" + std::to_string(size) + "_child_page_faults_per_rt",
          static_cast<double>(faults) / static_cast<double>(iters));
  }
  j.boolean("ok", ok);
  return report(ipc, j) && ok ? 0 : 1;
}

int run_burst(IpcRenderer& ipc, EventLoop& loop, std::size_t per_round) {
  struct Round {
    std::vector<Value> latencies;
    std::size_t pending = 0;
    int answered = 0;
    int bad = 0;
  };
  ipc.on("go", [&ipc, per_round](IpcRendererEvent&, int round) {
    auto state = std::make_shared<Round>();
    state->pending = per_round;
    state->latencies.reserve(per_round);
    for (std::size_t k = 0; k < per_round; ++k) {
      int seq = round * 100000 + static_cast<int>(k);
      auto t0 = Clock::now();
      ipc.invoke("ping", Value::object({{"seq", seq}, {"text", "ping"}}))
          .then([&ipc, state, t0, seq](valence::Result<Value> r) {
            state->latencies.emplace_back(bench::us_between(t0, Clock::now()));
            if (seq_of(r) == seq) {
              ++state->answered;
            } else {
              ++state->bad;
            }
            if (--state->pending == 0)
              ipc.send("burst-done", Value::array(std::move(state->latencies)), state->answered,
                       state->bad);
          });
    }
  });
  ipc.on("quit", [&loop](IpcRendererEvent&) { loop.quit(); });
  loop.run();
  return 0;
}

int run_idle(IpcRenderer& ipc, EventLoop& loop) {
  ipc.on("quit", [&loop](IpcRendererEvent&) { loop.quit(); });
  loop.run();
  return 0;
}

int run_flood(IpcRenderer& ipc, EventLoop& loop, std::size_t n) {
  // Warm the main side's paths first, so that its "before" RSS includes them.
  for (int i = 0; i < 1000; ++i) ipc.send("flood-warm", Value::object({{"seq", i}}));
  if (!ipc.invoke("flood-start").get()) return 1;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    ipc.send("flood", Value::object({{"seq", static_cast<int>(i)}}));
    if ((i & 1023) == 1023) loop.run_once(std::chrono::nanoseconds(0));  // let the queue flush
  }
  auto r = ipc.invoke("flood-done").get();
  auto t1 = Clock::now();
  const Value* count = r ? r->find("count") : nullptr;
  const Value* in_order = r ? r->find("in_order") : nullptr;
  bool ok = count && count->is_number() && count->get_number() == static_cast<double>(n) &&
            in_order && in_order->get_bool();
  bench::Json j;
  j.integer("messages", static_cast<long long>(n))
      .num("msgs_per_s", static_cast<double>(n) / (bench::us_between(t0, t1) / 1e6))
      .boolean("all_delivered_in_order", ok)
      .integer("child_peak_rss_kib", bench::status_kib("VmHWM"));
  return report(ipc, j) && ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (!bench::pin_child_from_env()) return 1;
  if (argc < 2) {
    std::fprintf(stderr, "usage: ipc_bench_child MODE ARGS... (started by ipc_bench)\n");
    return 2;
  }
  auto loop = EventLoop::create();
  auto connected = IpcRenderer::connect(*loop);
  if (!connected) {
    std::fprintf(stderr, "child: %s\n", connected.error().message.c_str());
    return 1;
  }
  auto ipc = std::move(connected).value();
  std::string mode = argv[1];
  if (mode == "invoke")
    return run_invoke(*ipc, *loop, arg_size(argv, 2, argc, 20000), arg_size(argv, 3, argc, 2000),
                      static_cast<long>(arg_size(argv, 4, argc, 0)),
                      argc > 5 && std::strcmp(argv[5], "yield") == 0);
  if (mode == "send")
    return run_send(*ipc, arg_size(argv, 2, argc, 200000), arg_size(argv, 3, argc, 3));
  if (mode == "echo") {
    std::vector<std::size_t> spec;
    for (int i = 2; i < argc; ++i) spec.push_back(arg_size(argv, i, argc, 0));
    return run_echo(*ipc, spec);
  }
  if (mode == "burst") return run_burst(*ipc, *loop, arg_size(argv, 2, argc, 100));
  if (mode == "idle") return run_idle(*ipc, *loop);
  if (mode == "flood") return run_flood(*ipc, *loop, arg_size(argv, 2, argc, 1000000));
  std::fprintf(stderr, "child: unknown mode %s\n", mode.c_str());
  return 2;
}
